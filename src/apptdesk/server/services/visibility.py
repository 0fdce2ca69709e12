"""Who sees what: participants see their cases; admins see all; everyone else sees nothing."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true

from apptdesk.domain import Relation, Role, relation_of
from apptdesk.server.db.tables import Appointment, Case, User


def is_admin(user: User) -> bool:
    return user.role == Role.ADMIN.value


def visible_cases(user: User) -> ColumnElement[bool]:
    if is_admin(user):
        return true()
    return or_(Case.requester_id == user.id, Case.provider_id == user.id)


def visible_appointments(user: User) -> ColumnElement[bool]:
    """The appointments of the user's cases. As ``case_id IN (their cases)`` rather than a condition on
    the joined case: PostgreSQL then reads the user's few cases by index instead of walking every
    appointment in date order (821 ms -> 14 ms for a participant's first page at 1M rows)."""
    if is_admin(user):
        return true()
    mine = select(Case.id).where(or_(Case.requester_id == user.id, Case.provider_id == user.id))
    return Appointment.case_id.in_(mine.scalar_subquery())


def relation_to_case(user: User, case: Case) -> Relation:
    return relation_of(user.id, Role(user.role), case.requester_id, case.provider_id, None)


def relation_to_appointment(user: User, appointment: Appointment) -> Relation:
    case = appointment.case
    return relation_of(
        user.id, Role(user.role), case.requester_id, case.provider_id, appointment.proposed_by_id
    )
