"""Which time-zone names an appointment or a person may carry: IANA names every machine resolves."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Names that resolve on a server but mean nothing portable: the host's own zone, or "no zone".
_NOT_PORTABLE = frozenset({"localtime", "Factory", "posixrules"})


@cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def is_valid_zone(name: object) -> bool:
    if not isinstance(name, str) or not name or len(name) > 64 or name in _NOT_PORTABLE:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return name in _known()
