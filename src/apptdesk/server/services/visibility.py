"""Who sees what: participants see their cases; admins see all; everyone else sees nothing."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true

from apptdesk.domain import Relation, Role, relation_of
from apptdesk.server.db.tables import Appointment, Case, User


def is_admin(user: User) -> bool:
    return user.role == Role.ADMIN.value


def visible_cases(user: User) -> ColumnElement[bool]:
    if is_admin(user):
        return true()
    return or_(Case.requester_id == user.id, Case.provider_id == user.id)


def relation_to_case(user: User, case: Case) -> Relation:
    return relation_of(user.id, Role(user.role), case.requester_id, case.provider_id, None)


def relation_to_appointment(user: User, appointment: Appointment) -> Relation:
    case = appointment.case
    return relation_of(
        user.id, Role(user.role), case.requester_id, case.provider_id, appointment.proposed_by_id
    )
