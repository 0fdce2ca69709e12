"""How times, people and statuses read in the tables and dialogs: one place, so they read alike."""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QTimeZone

from apptdesk.api import Appointment, Person, User
from apptdesk.domain import AppointmentStatus, Role


def local_zone() -> tzinfo:
    """The workstation's time zone, by IANA name when the system has one (so daylight saving is right
    for any date, not only today's offset): tables and dialogs show times where the clinician sits."""
    name = bytes(QTimeZone.systemTimeZoneId().data()).decode("ascii", "ignore")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = datetime.now().astimezone().tzinfo
        assert zone is not None
        return zone


def zone_name(zone: tzinfo, at: datetime | None = None) -> str:
    moment = (at or datetime.now(zone)).astimezone(zone)
    key = getattr(zone, "key", None)
    abbreviation = moment.tzname() or ""
    return f"{key} ({abbreviation})" if key and abbreviation and abbreviation != key else key or abbreviation


def when(moment: datetime, zone: tzinfo | None = None) -> str:
    local = moment.astimezone(zone or local_zone())
    return local.strftime("%a %d %b %Y, %H:%M")


def time_range(appointment: Appointment, zone: tzinfo | None = None) -> str:
    zone = zone or local_zone()
    end = appointment.end.astimezone(zone)
    return f"{when(appointment.start, zone)}–{end.strftime('%H:%M')}"


def duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def role_label(role: Role) -> str:
    return {Role.REQUESTER: "Requester", Role.PROVIDER: "Provider", Role.ADMIN: "Admin"}[role]


def person(who: Person | None) -> str:
    return who.name if who else "—"


def status_label(status: AppointmentStatus) -> str:
    return status.label


def status_text(appointment: Appointment, user: User | None) -> str:
    """The status as the viewer needs it: whether a pending one waits for them or for the other side."""
    if appointment.status is AppointmentStatus.PENDING and user is not None and appointment.awaiting:
        if appointment.awaiting.id == user.id:
            return "Pending — your answer"
        if appointment.is_participant(user):
            return f"Pending — awaiting {appointment.awaiting.name}"
    return appointment.status.label


def participant(appointment: Appointment, user: User | None) -> str:
    """The other party; for an administrator looking on, both."""
    other = appointment.other_party(user) if user else None
    if other is not None:
        return other.name
    return f"{appointment.requester.name} ↔ {appointment.provider.name}"


def first_line(text: str | None, limit: int = 80) -> str:
    if not text:
        return ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
