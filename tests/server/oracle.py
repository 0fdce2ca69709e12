"""What the domain's tables say the server must answer: the oracle the permission and status tests share.

The expected codes are never written per case: each actor's relation to the appointment comes from
``relation_of`` over the ids the server reports, and the outcome from ``decide``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from apptdesk.domain import Action, AppointmentStatus, Relation, Role, decide, relation_of
from tests.support.api import Api, assert_problem

ACTORS = ("r1", "p1", "r2", "p2", "admin", "anon")
PARTICIPANTS = ("r1", "p1")
STALE = '"0"'  # versions start at 1: this If-Match never matches


@dataclass(frozen=True)
class Person:
    id: int
    role: Role


def people(api: Api) -> dict[str, Person]:
    """Everyone of the test world who can sign in, as the server knows them (GET /me)."""
    found = {}
    for who in ACTORS:
        if who == "anon":
            continue
        me = api.client(who).get("/me")
        assert me.status_code == 200, me.text
        found[who] = Person(id=me.json()["id"], role=Role(me.json()["role"]))
    return found


def relation(known: dict[str, Person], actor: str, appointment: dict[str, Any]) -> Relation | None:
    """The actor's relation to the appointment (None: not signed in)."""
    if actor == "anon":
        return None
    person = known[actor]
    return relation_of(
        person.id,
        person.role,
        appointment["requester"]["id"],
        appointment["provider"]["id"],
        appointment["proposed_by"]["id"],
    )


def case_relation(known: dict[str, Person], actor: str, case: dict[str, Any]) -> Relation | None:
    if actor == "anon":
        return None
    person = known[actor]
    return relation_of(person.id, person.role, case["requester"]["id"], case["provider"]["id"], None)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def expected_code(
    action: Action, rel: Relation | None, appointment: dict[str, Any], now: datetime | None = None
) -> int:
    """The code the contract demands for ``action`` (200 when allowed), before any precondition."""
    if rel is None:
        return 401
    status = AppointmentStatus(appointment["status"])
    start = parse_time(appointment["start"])
    return int(decide(action, rel, status, now=now, start=start).outcome.value)


def check(response: httpx.Response, code: int) -> Any:
    """Assert the code; an error must be problem+json with a detail. Returns the body."""
    if code >= 400:
        return assert_problem(response, code)
    assert response.status_code == code, f"expected {code}, got {response.status_code}: {response.text}"
    return response.json()


def other_participant(who: str) -> str:
    return "p1" if who == "r1" else "r1"
