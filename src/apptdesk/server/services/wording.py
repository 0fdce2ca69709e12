"""What people are told about a change, in words fit for a lock screen: case, people, time, what happened.

Never the purpose or a reason: those are clinical free text and are read inside the app after sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apptdesk.domain.zones import is_valid_zone


@dataclass(frozen=True)
class Wording:
    title: str
    body: str


def local_time(moment: datetime, zone: str) -> str:
    tz = ZoneInfo(zone if is_valid_zone(zone) else "UTC")
    local = moment.astimezone(tz)
    return f"{local:%a %d %b %Y, %H:%M} ({local.tzname()})"


def describe(
    action: str,
    *,
    case_id: str,
    actor_name: str | None,
    start: datetime,
    previous_start: datetime | None,
    zone: str,
) -> Wording:
    """The title and body for one recipient; times in ``zone``, the recipient's own."""
    when = local_time(start, zone)
    who = actor_name or "apptdesk"
    texts = {
        "created": (f"New appointment request · {case_id}", f"{who} proposes an appointment on {when}."),
        "edited": (f"Appointment request updated · {case_id}", f"{who} updated the appointment on {when}."),
        "rescheduled": (
            f"New time proposed · {case_id}",
            f"{who} proposes to move the appointment"
            + (f" from {local_time(previous_start, zone)}" if previous_start else "")
            + f" to {when}.",
        ),
        "accepted": (f"Appointment accepted · {case_id}", f"{who} accepted the appointment on {when}."),
        "rejected": (f"Appointment declined · {case_id}", f"{who} declined the appointment on {when}."),
        "canceled": (f"Appointment canceled · {case_id}", f"{who} canceled the appointment on {when}."),
        "completed": (
            f"Appointment completed · {case_id}",
            f"{who} marked the appointment on {when} as completed."
            if actor_name
            else f"The appointment on {when} has been marked completed.",
        ),
        "expired": (
            f"Appointment request expired · {case_id}",
            f"The appointment proposed for {when} was canceled: it was not answered before it was due.",
        ),
    }
    title, body = texts[action]
    return Wording(title=title, body=body)
