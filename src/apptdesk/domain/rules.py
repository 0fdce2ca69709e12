"""Who may do what to an appointment, and in which status.

Two tables decide every request: ``PERMISSIONS`` (which relation to the appointment may attempt an
action at all) and ``ALLOWED_FROM`` (in which statuses the action makes sense). The server answers
403 when the first says no and 409 when only the second does; the client enables a control when both
say yes. Tests generate the endpoint x actor matrix from these same tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum

from apptdesk.domain.status import AppointmentStatus, Role


class Relation(StrEnum):
    """How the acting user stands to one appointment."""

    PROPOSER = "proposer"  # the participant who proposed the current time
    COUNTERPART = "counterpart"  # the other participant: the one awaited while pending
    ADMIN = "admin"
    OUTSIDER = "outsider"  # neither participant nor admin: the appointment does not exist for them


class Action(StrEnum):
    VIEW = "view"
    CREATE = "create"
    ACCEPT = "accept"
    REJECT = "reject"
    EDIT = "edit"  # the proposer changes time or purpose while pending; purpose only once accepted
    RESCHEDULE = "reschedule"  # either participant changes the time of an accepted appointment
    CANCEL = "cancel"
    COMPLETE = "complete"


_PARTICIPANTS = frozenset({Relation.PROPOSER, Relation.COUNTERPART})
_READERS = _PARTICIPANTS | {Relation.ADMIN}

PERMISSIONS: dict[Action, frozenset[Relation]] = {
    Action.VIEW: _READERS,
    # For CREATE there is no appointment yet: any participant of the case counts as PROPOSER.
    Action.CREATE: frozenset({Relation.PROPOSER}),
    Action.ACCEPT: frozenset({Relation.COUNTERPART}),
    Action.REJECT: frozenset({Relation.COUNTERPART}),
    Action.EDIT: frozenset({Relation.PROPOSER}),
    Action.RESCHEDULE: _PARTICIPANTS,
    Action.CANCEL: _PARTICIPANTS,
    Action.COMPLETE: _PARTICIPANTS,
}

_S = AppointmentStatus
_ALL = frozenset(AppointmentStatus)
ALLOWED_FROM: dict[Action, frozenset[AppointmentStatus]] = {
    Action.VIEW: _ALL,
    Action.CREATE: _ALL,  # not status-bound: the appointment does not exist yet
    Action.ACCEPT: frozenset({_S.PENDING}),
    Action.REJECT: frozenset({_S.PENDING}),
    Action.EDIT: frozenset({_S.PENDING, _S.ACCEPTED}),
    Action.RESCHEDULE: frozenset({_S.ACCEPTED}),
    Action.CANCEL: frozenset({_S.PENDING, _S.ACCEPTED}),
    Action.COMPLETE: frozenset({_S.ACCEPTED}),
}

# Where each state-changing action leads. EDIT keeps the status (a pending edit stays pending; a purpose
# edit on an accepted appointment stays accepted); RESCHEDULE re-opens the proposal.
RESULTING_STATUS: dict[Action, AppointmentStatus | None] = {
    Action.ACCEPT: _S.ACCEPTED,
    Action.REJECT: _S.REJECTED,
    Action.EDIT: None,
    Action.RESCHEDULE: _S.PENDING,
    Action.CANCEL: _S.CANCELED,
    Action.COMPLETE: _S.COMPLETED,
}


class Outcome(Enum):
    ALLOWED = 200
    NOT_FOUND = 404
    FORBIDDEN = 403
    CONFLICT = 409


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED


def relation_of(
    user_id: int,
    user_role: Role,
    requester_id: int,
    provider_id: int,
    proposed_by_id: int | None,
) -> Relation:
    """The user's relation to an appointment (``proposed_by_id`` None: to the case, before creation)."""
    if user_id in (requester_id, provider_id):
        if proposed_by_id is None or user_id == proposed_by_id:
            return Relation.PROPOSER
        return Relation.COUNTERPART
    if user_role is Role.ADMIN:
        return Relation.ADMIN
    return Relation.OUTSIDER


_FORBIDDEN_REASONS: dict[Action, str] = {
    Action.CREATE: "Only the requester or the provider of the case can request an appointment.",
    Action.ACCEPT: "Only the participant who was asked can accept this appointment.",
    Action.REJECT: "Only the participant who was asked can reject this appointment.",
    Action.EDIT: "Only the participant who proposed this time can edit the appointment.",
    Action.RESCHEDULE: "Only the participants of the case can reschedule this appointment.",
    Action.CANCEL: "Only the participants of the case can cancel this appointment.",
    Action.COMPLETE: "Only the participants of the case can mark this appointment completed.",
}


def decide(
    action: Action,
    relation: Relation,
    status: AppointmentStatus,
    *,
    now: datetime | None = None,
    start: datetime | None = None,
) -> Decision:
    """Decide one attempt, in the contract's order: visibility (404), permission (403), status (409).

    ``now`` and ``start`` matter only for COMPLETE, which needs the start time to have passed.
    """
    if relation is Relation.OUTSIDER:
        return Decision(Outcome.NOT_FOUND, "Appointment not found.")
    if relation not in PERMISSIONS[action]:
        if relation is Relation.ADMIN:
            return Decision(Outcome.FORBIDDEN, "Administrators have read-only access to appointments.")
        return Decision(Outcome.FORBIDDEN, _FORBIDDEN_REASONS[action])
    if status not in ALLOWED_FROM[action]:
        article = "An" if status.value[0] in "aeiou" else "A"
        return Decision(Outcome.CONFLICT, f"{article} {status.value} appointment cannot be {_past(action)}.")
    if action is Action.COMPLETE and now is not None and start is not None and now < start:
        return Decision(Outcome.CONFLICT, "An appointment can be marked completed only after it has started.")
    return Decision(Outcome.ALLOWED)


def _past(action: Action) -> str:
    return {
        Action.ACCEPT: "accepted",
        Action.REJECT: "rejected",
        Action.EDIT: "edited",
        Action.RESCHEDULE: "rescheduled",
        Action.CANCEL: "canceled",
        Action.COMPLETE: "marked completed",
    }.get(action, action.value)


def patch_action(status: AppointmentStatus, fields: Iterable[str]) -> Action:
    """Which action a change of ``fields`` is: a time change of an accepted appointment reschedules it."""
    time_change = bool({"start", "duration_minutes"} & set(fields))
    if status is AppointmentStatus.ACCEPTED and time_change:
        return Action.RESCHEDULE
    return Action.EDIT


def allowed_actions(
    relation: Relation,
    status: AppointmentStatus,
    *,
    now: datetime | None = None,
    start: datetime | None = None,
) -> frozenset[Action]:
    """Every action the user may take on the appointment now: what the client enables."""
    return frozenset(
        action
        for action in Action
        if action is not Action.CREATE and decide(action, relation, status, now=now, start=start).allowed
    )
