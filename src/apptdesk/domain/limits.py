"""Bounds on what a person may enter; the server validates them, the client shows them."""

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Limits:
    DURATION_DEFAULT_MINUTES = 30
    DURATION_MIN_MINUTES = 5
    DURATION_MAX_MINUTES = 480
    PURPOSE_MAX_CHARS = 2000
    REASON_MAX_CHARS = 500
    # How far ahead an appointment may be proposed; also keeps date arithmetic far from overflow.
    MAX_LEAD = timedelta(days=2 * 366)
    # The system completes an accepted appointment this long after its end.
    COMPLETION_GRACE = timedelta(minutes=60)
