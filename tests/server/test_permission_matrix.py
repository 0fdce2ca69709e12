"""Every endpoint x {requester, provider, another requester, another provider, admin, anonymous}.

The expected code of each cell is generated from the domain's tables: the actor's relation to the
appointment (``relation_of`` over the ids the server reports) and ``decide`` for the endpoint's action in
the appointment's status. Each cell also checks the order of checks: a missing or stale ``If-Match``
never beats 401, 404, 403 or 409, and a refused request changes nothing.

One server per backend serves the whole module (a server per cell would take minutes); every cell
arranges its own appointments, so cells do not depend on each other.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from apptdesk.domain import Action, AppointmentStatus, Outcome, Relation, decide, patch_action
from apptdesk.domain.rules import ALLOWED_FROM, PERMISSIONS, RESULTING_STATUS
from apptdesk.server.app import create_app
from apptdesk.server.embedded import ServerThread
from tests.server.oracle import (
    ACTORS,
    STALE,
    Person,
    case_relation,
    check,
    expected_code,
    other_participant,
    parse_time,
    people,
    relation,
)
from tests.support.api import Api, MutableClock, assert_problem
from tests.support.databases import cheap_settings

# --- the shared server ----------------------------------------------------------------------------


class Shared:
    """A server for the module; its signed-in sessions are renewed well before the access tokens expire."""

    def __init__(self, url: str, clock: MutableClock) -> None:
        self.url, self.clock = url, clock
        self._api: Api | None = None
        self._since = 0.0
        self.people: dict[str, Person] = {}

    def api(self) -> Api:
        if self._api is None or time.monotonic() - self._since > 300:
            if self._api is not None:
                self._api.close()
            self._api, self._since = Api(self.url, self.clock), time.monotonic()
            self.people = people(self._api)
        return self._api

    def close(self) -> None:
        if self._api is not None:
            self._api.close()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    databases = request.getfixturevalue(f"{request.param}_databases")
    url = databases.new(tmp_path_factory.mktemp(f"matrix-{request.param}"))
    clock = MutableClock()
    server = ServerThread(create_app(cheap_settings(url), clock=clock, sweeper=False)).start()
    state = Shared(server.url, clock)
    try:
        yield state
    finally:
        state.close()
        server.stop()
        databases.drop(url)


@pytest.fixture
def api(shared: Shared) -> Iterator[Api]:
    """The shared server, its clock put back after the cell (a cell may move it past a start)."""
    yield shared.api()
    shared.clock.offset = timedelta()


@pytest.fixture
def known(api: Api, shared: Shared) -> dict[str, Person]:
    return shared.people


# --- appointments in each status ------------------------------------------------------------------


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def _pending(api: Api, purpose: str) -> dict[str, Any]:
    return api.create("r1", purpose=purpose)


def _counter_proposal(api: Api, purpose: str) -> dict[str, Any]:
    """Accepted, then p1 moved it: pending again, now proposed by p1 and awaiting r1."""
    accepted = _accepted(api, purpose)
    return ok(api.patch("p1", accepted, start=api.future(days=2)))


def _accepted(api: Api, purpose: str) -> dict[str, Any]:
    return ok(api.act("p1", api.create("r1", purpose=purpose)["id"], "accept"))


def _started(api: Api, purpose: str) -> dict[str, Any]:
    """Accepted and its start has passed: the only status where it can be completed."""
    created = api.create("r1", purpose=purpose, start=api.future(minutes=1))
    ok(api.act("p1", created["id"], "accept"))
    api.clock.advance(timedelta(minutes=2))
    return api.get("r1", created["id"])


def _rejected(api: Api, purpose: str) -> dict[str, Any]:
    return ok(api.act("p1", api.create("r1", purpose=purpose)["id"], "reject"))


def _canceled(api: Api, purpose: str) -> dict[str, Any]:
    return ok(api.act("p1", _accepted(api, purpose)["id"], "cancel"))


def _completed(api: Api, purpose: str) -> dict[str, Any]:
    return ok(api.act("p1", _started(api, purpose)["id"], "complete"))


@dataclass(frozen=True)
class Scenario:
    name: str
    status: AppointmentStatus
    proposer: str  # who proposed the current time once arranged
    arrange: Callable[[Api, str], dict[str, Any]]


S = AppointmentStatus
SCENARIOS = [
    Scenario("pending", S.PENDING, "r1", _pending),
    Scenario("counter-proposal", S.PENDING, "p1", _counter_proposal),
    Scenario("accepted", S.ACCEPTED, "r1", _accepted),
    Scenario("started", S.ACCEPTED, "r1", _started),
    Scenario("rejected", S.REJECTED, "r1", _rejected),
    Scenario("canceled", S.CANCELED, "r1", _canceled),
    Scenario("completed", S.COMPLETED, "r1", _completed),
]


def label(actor: str, proposer: str | None) -> str:
    """How the contract names the actor: its relation for participants and the admin."""
    fixed = {"r2": "other-requester", "p2": "other-provider", "admin": "admin", "anon": "anonymous"}
    if actor in fixed:
        return fixed[actor]
    if proposer is None:
        return {"r1": "requester", "p1": "provider"}[actor]
    return "proposer" if actor == proposer else "counterpart"


def arrange(api: Api, known: dict[str, Person], scenario: Scenario, actor: str) -> dict[str, Any]:
    appointment = scenario.arrange(api, f"matrix {uuid.uuid4().hex}")
    assert appointment["status"] == scenario.status.value
    rel = relation(known, actor, appointment)
    expected_label = label(actor, scenario.proposer)
    if rel in (Relation.PROPOSER, Relation.COUNTERPART):
        assert rel.value == expected_label, "the arrangement did not give the actor the relation in its id"
    return appointment


def cells(endpoints: list[str], scenarios: list[Scenario]) -> list[Any]:
    return [
        pytest.param(
            endpoint, actor, scenario, id=f"{endpoint}-{label(actor, scenario.proposer)}-{scenario.name}"
        )
        for endpoint in endpoints
        for scenario in scenarios
        for actor in ACTORS
    ]


# --- reads ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "actor", "scenario"), cells(["get", "history"], SCENARIOS))
def test_read(api: Api, known: dict[str, Person], endpoint: str, actor: str, scenario: Scenario) -> None:
    appointment = arrange(api, known, scenario, actor)
    expected = expected_code(Action.VIEW, relation(known, actor, appointment), appointment)
    suffix = "/history" if endpoint == "history" else ""
    body = check(api.client(actor).get(f"/appointments/{appointment['id']}{suffix}"), expected)
    if expected != 200:
        return
    if endpoint == "get":
        assert body == appointment
    else:
        assert body[0]["action"] == "created"
        assert body[0]["from_status"] is None
        assert body[-1]["to_status"] == appointment["status"]


@pytest.mark.parametrize(("endpoint", "actor", "scenario"), cells(["list"], SCENARIOS))
def test_list(api: Api, known: dict[str, Person], endpoint: str, actor: str, scenario: Scenario) -> None:
    """GET /appointments answers everyone signed in; outsiders simply do not see the item."""
    appointment = arrange(api, known, scenario, actor)
    rel = relation(known, actor, appointment)
    response = api.client(actor).get("/appointments", params={"q": appointment["purpose"]})
    if rel is None:
        assert_problem(response, 401)
        return
    body = check(response, 200)
    sees = decide(Action.VIEW, rel, scenario.status).allowed
    assert body["items"] == ([appointment] if sees else [])


# --- transitions ----------------------------------------------------------------------------------

TRANSITIONS = {
    "accept": Action.ACCEPT,
    "reject": Action.REJECT,
    "cancel": Action.CANCEL,
    "complete": Action.COMPLETE,
}


@pytest.mark.parametrize(("endpoint", "actor", "scenario"), cells(list(TRANSITIONS), SCENARIOS))
def test_transition(
    api: Api, known: dict[str, Person], endpoint: str, actor: str, scenario: Scenario
) -> None:
    appointment = arrange(api, known, scenario, actor)
    action = TRANSITIONS[endpoint]
    expected = expected_code(action, relation(known, actor, appointment), appointment, now=api.clock())
    client = api.client(actor)
    path = f"/appointments/{appointment['id']}/{endpoint}"

    # A stale If-Match is refused only after authentication, visibility, permission and status.
    check(client.post(path, headers={"If-Match": STALE}), 412 if expected == 200 else expected)
    assert api.get("r1", appointment["id"]) == appointment

    response = client.post(path)
    body = check(response, expected)
    after = api.get("r1", appointment["id"])
    if expected != 200:
        assert after == appointment, "a refused request changed the appointment"
        return
    assert body == after
    new_status = RESULTING_STATUS[action]
    assert new_status is not None
    assert after["status"] == new_status.value
    assert after["awaiting"] is None
    assert after["version"] == appointment["version"] + 1
    assert response.headers["ETag"] == f'"{after["version"]}"'


# --- edits ----------------------------------------------------------------------------------------


def patch_body(api: Api, endpoint: str) -> dict[str, Any]:
    if endpoint == "patch-time":
        return {"start": api.future(days=3)}
    return {"purpose": f"changed {uuid.uuid4().hex}"}


@pytest.mark.parametrize(("endpoint", "actor", "scenario"), cells(["patch-time", "patch-purpose"], SCENARIOS))
def test_patch(api: Api, known: dict[str, Person], endpoint: str, actor: str, scenario: Scenario) -> None:
    appointment = arrange(api, known, scenario, actor)
    body = patch_body(api, endpoint)
    action = patch_action(scenario.status, body)
    expected = expected_code(action, relation(known, actor, appointment), appointment, now=api.clock())
    client = api.client(actor)
    path = f"/appointments/{appointment['id']}"

    # If-Match is required, but its absence (428) or staleness (412) only counts after 401/404/403/409.
    check(client.patch(path, json=body), 428 if expected == 200 else expected)
    check(client.patch(path, json=body, headers={"If-Match": STALE}), 412 if expected == 200 else expected)
    assert api.get("r1", appointment["id"]) == appointment

    response = client.patch(path, json=body, headers={"If-Match": f'"{appointment["version"]}"'})
    result = check(response, expected)
    after = api.get("r1", appointment["id"])
    if expected != 200:
        assert after == appointment, "a refused request changed the appointment"
        return
    assert result == after
    assert after["version"] == appointment["version"] + 1
    assert response.headers["ETag"] == f'"{after["version"]}"'
    if "start" in body:
        assert parse_time(after["start"]) == parse_time(body["start"])
    else:
        assert after["purpose"] == body["purpose"]
    if action is Action.RESCHEDULE:
        # A new time is a counter-proposal: pending again, awaiting the other participant.
        assert after["status"] == AppointmentStatus.PENDING.value
        assert after["proposed_by"]["id"] == known[actor].id
        assert after["awaiting"]["id"] == known[other_participant(actor)].id
    else:
        assert after["status"] == appointment["status"]
        assert after["proposed_by"] == appointment["proposed_by"]
        assert after["awaiting"] == appointment["awaiting"]


# --- the case and its appointments ----------------------------------------------------------------

CASE_ENDPOINTS = ["get-case", "case-appointments", "create"]


@pytest.mark.parametrize(
    ("endpoint", "actor"),
    [pytest.param(e, a, id=f"{e}-{label(a, None)}") for e in CASE_ENDPOINTS for a in ACTORS],
)
def test_case(api: Api, known: dict[str, Person], endpoint: str, actor: str) -> None:
    case = check(api.client("r1").get("/cases/C-1"), 200)
    rel = case_relation(known, actor, case)
    action = Action.CREATE if endpoint == "create" else Action.VIEW
    if rel is None:
        expected = 401
    else:
        outcome = decide(action, rel, AppointmentStatus.PENDING).outcome
        expected = 201 if outcome is Outcome.ALLOWED and action is Action.CREATE else outcome.value
    client = api.client(actor)

    if endpoint == "get-case":
        body = check(client.get("/cases/C-1"), expected)
        if expected == 200:
            assert body == case
    elif endpoint == "case-appointments":
        existing = api.create("p1", purpose=f"matrix {uuid.uuid4().hex}")
        body = check(client.get("/cases/C-1/appointments", params={"q": existing["purpose"]}), expected)
        if expected == 200:
            assert body["items"] == [existing]
    else:
        purpose = f"matrix {uuid.uuid4().hex}"
        response = client.post("/cases/C-1/appointments", json={"start": api.future(), "purpose": purpose})
        body = check(response, expected)
        listed = api.client("r1").get("/appointments", params={"q": purpose}).json()["items"]
        if expected != 201:
            assert listed == [], "a refused create left an appointment behind"
            return
        assert listed == [body]
        assert response.headers["Location"].endswith(f"/appointments/{body['id']}")
        assert response.headers["ETag"] == f'"{body["version"]}"'
        assert body["status"] == AppointmentStatus.PENDING.value
        assert body["created_by"]["id"] == body["proposed_by"]["id"] == known[actor].id
        assert body["awaiting"]["id"] == known[other_participant(actor)].id
        assert body["type"] == known[actor].role.value
        assert relation(known, actor, body) is Relation.PROPOSER


# --- what does not exist, and the order of checks -------------------------------------------------

MISSING = 2_000_000_000  # a valid id no appointment has
APPOINTMENT_REQUESTS: list[tuple[str, str, str]] = [
    ("get", "GET", ""),
    ("history", "GET", "/history"),
    ("patch", "PATCH", ""),
    *((name, "POST", f"/{name}") for name in TRANSITIONS),
]


@pytest.mark.parametrize("actor", [pytest.param(a, id=label(a, None)) for a in ACTORS])
@pytest.mark.parametrize(
    ("name", "method", "suffix"), APPOINTMENT_REQUESTS, ids=[r[0] for r in APPOINTMENT_REQUESTS]
)
def test_missing_appointment(api: Api, actor: str, name: str, method: str, suffix: str) -> None:
    """401 before 404; an unknown id is 404 for everyone signed in, admin writes included (not 403)."""
    json = {"purpose": "x"} if method == "PATCH" else None
    response = api.client(actor).request(method, f"/appointments/{MISSING}{suffix}", json=json)
    assert_problem(response, 401 if actor == "anon" else 404)


@pytest.mark.parametrize("actor", ["r2", "p2"])
def test_outsiders_cannot_tell_an_appointment_exists(api: Api, actor: str) -> None:
    appointment = _accepted(api, "secret")
    for method, suffix in (("GET", ""), ("GET", "/history"), ("PATCH", ""), ("POST", "/cancel")):
        json = {"purpose": "x"} if method == "PATCH" else None
        client = api.client(actor)
        hidden = assert_problem(
            client.request(method, f"/appointments/{appointment['id']}{suffix}", json=json), 404
        )
        missing = assert_problem(client.request(method, f"/appointments/{MISSING}{suffix}", json=json), 404)
        assert hidden == missing
    hidden_case = assert_problem(api.client(actor).get("/cases/C-1"), 404)
    assert hidden_case == assert_problem(api.client(actor).get("/cases/C-404"), 404)
    assert api.get("r1", appointment["id"]) == appointment


@pytest.mark.parametrize("actor", [pytest.param(a, id=label(a, None)) for a in ACTORS])
def test_create_in_a_missing_case(api: Api, actor: str) -> None:
    """401 before 404, and 404 before the admin's 403."""
    response = api.client(actor).post("/cases/C-404/appointments", json={"start": api.future()})
    assert_problem(response, 401 if actor == "anon" else 404)


def test_the_matrix_covers_every_action() -> None:
    """Guard: an action added to the domain must get an endpoint in this matrix."""
    covered = {Action.VIEW, Action.CREATE, Action.EDIT, Action.RESCHEDULE, *TRANSITIONS.values()}
    assert covered == set(Action) == set(PERMISSIONS) == set(ALLOWED_FROM)
    statuses = {scenario.status for scenario in SCENARIOS}
    assert statuses == set(AppointmentStatus)
