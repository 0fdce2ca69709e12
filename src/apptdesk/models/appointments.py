"""Table models of appointments: one for a case's Appointments tab, one for My Appointments."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from apptdesk.api import Appointment, User
from apptdesk.models import formatting as fmt
from apptdesk.models.paged import PagedRowsModel
from apptdesk.models.rows import Column


class CaseAppointmentsModel(PagedRowsModel[Appointment]):
    """A case's appointments: date and time, duration, status, requested by, awaiting, purpose."""

    COL_WHEN, COL_DURATION, COL_STATUS, COL_REQUESTED_BY, COL_AWAITING, COL_PURPOSE = range(6)

    def __init__(self, user: User, zone: tzinfo | None = None, parent: Any = None) -> None:
        zone = zone or fmt.local_zone()
        columns = [
            Column[Appointment]("Date & Time", lambda a: fmt.when(a.start, zone), lambda a: (a.start, a.id)),
            Column[Appointment](
                "Duration", lambda a: fmt.duration(a.duration_minutes), lambda a: a.duration_minutes
            ),
            Column[Appointment]("Status", lambda a: fmt.status_text(a, user), tooltip=_reason_tip),
            Column[Appointment]("Requested by", lambda a: f"{a.created_by.name} ({fmt.role_label(a.type)})"),
            Column[Appointment]("Awaiting", lambda a: fmt.person(a.awaiting)),
            Column[Appointment](
                "Purpose", lambda a: fmt.first_line(a.purpose), tooltip=lambda a: a.purpose or ""
            ),
        ]
        super().__init__(columns, key=lambda a: a.id, parent=parent)
        self.user = user


class MyAppointmentsModel(PagedRowsModel[Appointment]):
    """All of the user's appointments: Case ID, Participant Name, Date & Time, Status, Type."""

    COL_CASE, COL_PARTICIPANT, COL_WHEN, COL_STATUS, COL_TYPE = range(5)

    def __init__(self, user: User, zone: tzinfo | None = None, parent: Any = None) -> None:
        zone = zone or fmt.local_zone()
        columns = [
            Column[Appointment]("Case ID", lambda a: a.case_id),
            Column[Appointment]("Participant Name", lambda a: fmt.participant(a, user)),
            Column[Appointment]("Date & Time", lambda a: fmt.when(a.start, zone), lambda a: (a.start, a.id)),
            Column[Appointment]("Status", lambda a: fmt.status_text(a, user), tooltip=_reason_tip),
            Column[Appointment]("Type", lambda a: fmt.role_label(a.type)),
        ]
        super().__init__(columns, key=lambda a: a.id, parent=parent)
        self.user = user


def by_start(appointment: Appointment) -> tuple[object, int]:
    """The server's order of appointments: by start, then id."""
    return (appointment.start, appointment.id)


def _reason_tip(appointment: Appointment) -> str:
    return f"Reason: {appointment.reason}" if appointment.reason else ""
