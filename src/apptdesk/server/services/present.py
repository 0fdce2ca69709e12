"""Turn rows into the public response bodies."""

from __future__ import annotations

from apptdesk.domain import AppointmentStatus, Role
from apptdesk.server.db.tables import Appointment, Case, HistoryEntry, User
from apptdesk.server.schemas.appointments import AppointmentOut, HistoryEntryOut
from apptdesk.server.schemas.cases import CaseOut
from apptdesk.server.schemas.common import Person, UserOut


def person(user: User) -> Person:
    return Person(id=user.id, name=user.name, role=Role(user.role))


def user_out(user: User) -> UserOut:
    return UserOut(id=user.id, email=user.email, name=user.name, role=Role(user.role), timezone=user.timezone)


def awaited(appointment: Appointment) -> User | None:
    if appointment.status != AppointmentStatus.PENDING.value:
        return None
    case = appointment.case
    return case.provider if appointment.proposed_by_id == case.requester_id else case.requester


def appointment_out(appointment: Appointment) -> AppointmentOut:
    waiting_for = awaited(appointment)
    return AppointmentOut(
        id=appointment.id,
        case_id=appointment.case_id,
        start=appointment.start_at,
        end=appointment.end_at,
        duration_minutes=appointment.duration_minutes,
        timezone=appointment.timezone,
        purpose=appointment.purpose,
        status=AppointmentStatus(appointment.status),
        type=Role(appointment.type),
        created_by=person(appointment.created_by),
        proposed_by=person(appointment.proposed_by),
        awaiting=person(waiting_for) if waiting_for else None,
        requester=person(appointment.case.requester),
        provider=person(appointment.case.provider),
        reason=appointment.reason,
        version=appointment.version,
        created_at=appointment.created_at,
        updated_at=appointment.updated_at,
    )


def case_out(case: Case, pending: int) -> CaseOut:
    return CaseOut(
        id=case.id,
        title=case.title,
        requester=person(case.requester),
        provider=person(case.provider),
        pending_appointments=pending,
        created_at=case.created_at,
    )


def history_out(entry: HistoryEntry) -> HistoryEntryOut:
    return HistoryEntryOut(
        id=entry.id,
        at=entry.at,
        actor=person(entry.actor) if entry.actor else None,
        action=entry.action,
        from_status=AppointmentStatus(entry.from_status) if entry.from_status else None,
        to_status=AppointmentStatus(entry.to_status),
        changes=entry.changes,
        reason=entry.reason,
    )
