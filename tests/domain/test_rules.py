"""The rules tables, read without any server: what each relation may do in each status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apptdesk.domain import (
    FINAL_STATUSES,
    Action,
    AppointmentStatus,
    Outcome,
    Relation,
    Role,
    allowed_actions,
    decide,
    patch_action,
    relation_of,
)

S = AppointmentStatus
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def test_relation_of_participants_admin_and_outsiders() -> None:
    assert relation_of(1, Role.REQUESTER, 1, 2, proposed_by_id=1) is Relation.PROPOSER
    assert relation_of(2, Role.PROVIDER, 1, 2, proposed_by_id=1) is Relation.COUNTERPART
    assert relation_of(9, Role.ADMIN, 1, 2, proposed_by_id=1) is Relation.ADMIN
    assert relation_of(9, Role.REQUESTER, 1, 2, proposed_by_id=1) is Relation.OUTSIDER
    # Before creation every participant of the case may propose.
    assert relation_of(2, Role.PROVIDER, 1, 2, proposed_by_id=None) is Relation.PROPOSER


@pytest.mark.parametrize("action", [a for a in Action if a is not Action.VIEW])
@pytest.mark.parametrize("status", list(S))
def test_admin_never_writes_and_outsiders_never_see(action: Action, status: AppointmentStatus) -> None:
    assert decide(action, Relation.ADMIN, status).outcome is Outcome.FORBIDDEN
    assert decide(action, Relation.OUTSIDER, status).outcome is Outcome.NOT_FOUND


@pytest.mark.parametrize("status", sorted(FINAL_STATUSES))
def test_final_statuses_allow_nothing_but_reading(status: AppointmentStatus) -> None:
    for relation in (Relation.PROPOSER, Relation.COUNTERPART):
        assert allowed_actions(relation, status, now=NOW, start=NOW - timedelta(hours=1)) == {Action.VIEW}


def test_pending_answers_belong_to_the_counterpart() -> None:
    assert allowed_actions(Relation.COUNTERPART, S.PENDING) == {
        Action.VIEW,
        Action.ACCEPT,
        Action.REJECT,
        Action.CANCEL,
    }
    assert allowed_actions(Relation.PROPOSER, S.PENDING) == {Action.VIEW, Action.EDIT, Action.CANCEL}
    assert decide(Action.ACCEPT, Relation.PROPOSER, S.PENDING).outcome is Outcome.FORBIDDEN
    # Permission is checked before status: the proposer gets 403 even on an accepted appointment.
    assert decide(Action.ACCEPT, Relation.PROPOSER, S.ACCEPTED).outcome is Outcome.FORBIDDEN
    assert decide(Action.ACCEPT, Relation.COUNTERPART, S.ACCEPTED).outcome is Outcome.CONFLICT


def test_complete_waits_for_the_start() -> None:
    before = decide(
        Action.COMPLETE, Relation.COUNTERPART, S.ACCEPTED, now=NOW, start=NOW + timedelta(minutes=1)
    )
    after = decide(Action.COMPLETE, Relation.COUNTERPART, S.ACCEPTED, now=NOW, start=NOW)
    assert before.outcome is Outcome.CONFLICT
    assert "started" in before.reason
    assert after.allowed


def test_accepted_appointment_can_be_rescheduled_by_either_and_edited_by_the_proposer() -> None:
    assert Action.RESCHEDULE in allowed_actions(Relation.COUNTERPART, S.ACCEPTED)
    assert Action.RESCHEDULE in allowed_actions(Relation.PROPOSER, S.ACCEPTED)
    assert Action.EDIT in allowed_actions(Relation.PROPOSER, S.ACCEPTED)
    assert Action.EDIT not in allowed_actions(Relation.COUNTERPART, S.ACCEPTED)


@pytest.mark.parametrize(
    ("status", "fields", "expected"),
    [
        (S.PENDING, {"start"}, Action.EDIT),
        (S.PENDING, {"purpose"}, Action.EDIT),
        (S.ACCEPTED, {"start"}, Action.RESCHEDULE),
        (S.ACCEPTED, {"duration_minutes", "purpose"}, Action.RESCHEDULE),
        (S.ACCEPTED, {"purpose"}, Action.EDIT),
        (S.REJECTED, {"start"}, Action.EDIT),
    ],
)
def test_patch_action(status: AppointmentStatus, fields: set[str], expected: Action) -> None:
    assert patch_action(status, fields) is expected


def test_every_refusal_explains_itself() -> None:
    for action in Action:
        for relation in Relation:
            for status in S:
                decision = decide(action, relation, status, now=NOW, start=NOW + timedelta(hours=1))
                assert decision.allowed or decision.reason.endswith(".")
