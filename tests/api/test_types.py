"""Parsing the API's JSON into typed values, and the rules helpers on them (no server needed)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apptdesk.api import (
    ApiError,
    InvalidResponse,
    Person,
    User,
    parse_appointment,
    parse_case,
    parse_history,
    parse_page,
    parse_session,
)
from apptdesk.domain import Action, AppointmentStatus, Relation, Role

RITA = {"id": 1, "name": "Rita Requester", "role": "requester"}
PAUL = {"id": 2, "name": "Paul Provider", "role": "provider"}
APPOINTMENT: dict[str, Any] = {
    "id": 51,
    "case_id": "C-1",
    "start": "2030-12-10T09:00:00Z",
    "end": "2030-12-10T09:30:00Z",
    "duration_minutes": 30,
    "timezone": "Europe/Berlin",
    "purpose": "Discuss the CT",
    "status": "pending",
    "type": "requester",
    "created_by": RITA,
    "proposed_by": RITA,
    "awaiting": PAUL,
    "requester": RITA,
    "provider": PAUL,
    "reason": None,
    "version": 1,
    "created_at": "2030-11-24T05:00:00+00:00",
    "updated_at": "2030-11-24T06:00:00+01:00",
}
rita = User(1, "rita@x.org", "Rita Requester", Role.REQUESTER, "Europe/Berlin")
paul = User(2, "paul@x.org", "Paul Provider", Role.PROVIDER, "America/New_York")
ada = User(9, "ada@x.org", "Ada Admin", Role.ADMIN, "UTC")
rob = User(3, "rob@x.org", "Rob Outsider", Role.REQUESTER, "UTC")


def changed(path: str, value: Any, base: dict[str, Any] = APPOINTMENT) -> dict[str, Any]:
    data = copy.deepcopy(base)
    *parents, last = path.split(".")
    target = data
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return data


def test_parse_appointment() -> None:
    appointment = parse_appointment(APPOINTMENT)
    assert appointment.start == datetime(2030, 12, 10, 9, 0, tzinfo=UTC)
    assert appointment.updated_at == datetime(2030, 11, 24, 5, 0, tzinfo=UTC)  # normalised to UTC
    assert appointment.status is AppointmentStatus.PENDING
    assert appointment.type is Role.REQUESTER
    assert appointment.awaiting == Person(2, "Paul Provider", Role.PROVIDER)
    assert appointment.etag == '"1"'
    with pytest.raises(AttributeError):
        appointment.status = AppointmentStatus.ACCEPTED  # type: ignore[misc]
    assert parse_appointment(changed("awaiting", None)).awaiting is None
    assert parse_appointment(changed("purpose", None)).purpose is None


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("id", KeyError, "appointment.id: is missing"),
        ("id", "51", "appointment.id: expected an integer"),
        ("version", True, "appointment.version: expected an integer"),
        ("start", "tomorrow", "appointment.start: 'tomorrow' is not an RFC 3339 time"),
        ("start", "2030-12-10T09:00:00", "has no UTC offset"),
        ("start", 1900000000, "expected text"),
        ("status", "maybe", "'maybe' is not a known AppointmentStatus"),
        ("type", "admin-ish", "is not a known Role"),
        ("requester", None, "appointment.requester: expected an object, got null"),
        ("provider.role", "nurse", "'nurse' is not a known Role"),
        ("awaiting", [], "appointment.awaiting: expected an object, got list"),
        ("purpose", 3, "appointment.purpose: expected text"),
    ],
)
def test_malformed_appointment_raises_api_error(path: str, value: Any, named: str) -> None:
    with pytest.raises(InvalidResponse) as caught:
        parse_appointment(changed(path, value))
    assert isinstance(caught.value, ApiError)
    assert named in caught.value.detail
    assert "does not understand" in caught.value.user_message


@pytest.mark.parametrize("payload", [None, [], "x", 3])
def test_non_objects_raise_api_error(payload: Any) -> None:
    with pytest.raises(InvalidResponse):
        parse_appointment(payload)
    with pytest.raises(InvalidResponse):
        parse_page(payload, parse_appointment)


def test_parse_page_names_the_bad_item() -> None:
    page = parse_page({"items": [APPOINTMENT], "next_cursor": "abc"}, parse_appointment)
    assert page.items == (parse_appointment(APPOINTMENT),)
    assert page.next_cursor == "abc"
    assert not page.is_last
    with pytest.raises(InvalidResponse, match=r"page\.items\[1\]\.case_id"):
        parse_page(
            {"items": [APPOINTMENT, changed("case_id", KeyError)], "next_cursor": None}, parse_appointment
        )
    with pytest.raises(InvalidResponse, match=r"page\.items: expected a list"):
        parse_page({"items": {}, "next_cursor": None}, parse_appointment)


def test_parse_case_history_and_session() -> None:
    case = parse_case(
        {
            "id": "C-1",
            "title": "Case one",
            "requester": RITA,
            "provider": PAUL,
            "pending_appointments": 2,
            "created_at": "2030-01-01T00:00:00Z",
        }
    )
    assert case.relation_for(rita) is Relation.PROPOSER
    assert case.relation_for(ada) is Relation.ADMIN
    assert case.can_create(paul)
    assert not case.can_create(ada)
    assert not case.can_create(rob)

    entries = parse_history(
        [
            {
                "id": 1,
                "at": "2030-01-01T00:00:00Z",
                "actor": None,
                "action": "expired",
                "from_status": "pending",
                "to_status": "canceled",
                "changes": {"start": ["2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z"]},
                "reason": "No response before the proposed time.",
            }
        ]
    )
    assert entries[0].actor is None
    assert entries[0].from_status is AppointmentStatus.PENDING
    assert entries[0].changes == {"start": ("2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z")}
    with pytest.raises(InvalidResponse, match=r"history\[0\]\.changes\.start: expected \[old, new\]"):
        parse_history([{**_entry(), "changes": {"start": "x"}}])
    with pytest.raises(InvalidResponse, match="history: expected a list"):
        parse_history({})

    user = {"id": 1, "email": "rita@x.org", "name": "Rita", "role": "requester", "timezone": "UTC"}
    session = parse_session(
        {
            "access_token": "apd_at_secret",
            "refresh_token": "apd_rt_secret",
            "token_type": "bearer",
            "expires_in": 900,
            "user": user,
        }
    )
    assert session.tokens.access_token == "apd_at_secret"
    assert "secret" not in repr(session)
    with pytest.raises(InvalidResponse, match=r"sign-in\.refresh_token: is missing"):
        parse_session({"access_token": "a", "expires_in": 900, "user": user})


def _entry() -> dict[str, Any]:
    return {
        "id": 1,
        "at": "2030-01-01T00:00:00Z",
        "actor": RITA,
        "action": "created",
        "from_status": None,
        "to_status": "pending",
        "changes": {},
        "reason": None,
    }


def test_relations_other_party_and_allowed_actions() -> None:
    appointment = parse_appointment(APPOINTMENT)  # proposed by Rita, awaiting Paul
    before = appointment.start - timedelta(hours=1)
    assert appointment.relation_for(rita) is Relation.PROPOSER
    assert appointment.relation_for(paul) is Relation.COUNTERPART
    assert appointment.relation_for(ada) is Relation.ADMIN
    assert appointment.relation_for(rob) is Relation.OUTSIDER
    assert appointment.other_party(rita) == paul.as_person()
    assert appointment.other_party(paul) == rita.as_person()
    assert appointment.other_party(ada) is None
    assert appointment.is_awaiting(paul)
    assert not appointment.is_awaiting(rita)
    assert appointment.allowed_actions(rita, before) == {Action.VIEW, Action.EDIT, Action.CANCEL}
    assert appointment.allowed_actions(paul, before) == {
        Action.VIEW,
        Action.ACCEPT,
        Action.REJECT,
        Action.CANCEL,
    }
    assert appointment.allowed_actions(ada, before) == {Action.VIEW}
    assert appointment.allowed_actions(rob, before) == frozenset()

    accepted = parse_appointment(changed("status", "accepted", changed("awaiting", None)))
    assert Action.COMPLETE not in accepted.allowed_actions(paul, before)
    assert Action.COMPLETE in accepted.allowed_actions(paul, accepted.start + timedelta(minutes=1))
    assert accepted.allowed_actions(paul, before) == {Action.VIEW, Action.RESCHEDULE, Action.CANCEL}

    done = parse_appointment(changed("status", "completed"))
    assert done.is_final
    assert done.allowed_actions(rita) == {Action.VIEW}
