"""A hypothesis state machine drives the real API with random people and actions on a few appointments.

It keeps a model of each appointment (status, proposer, start, version, history length) and predicts every
response code from the domain's ``decide``, ``patch_action`` and ``RESULTING_STATUS``, then checks that
the server agrees: in each response, in the list after every step and in the history at the end.

The rules only steer what is tried (an answer to a pending appointment, a reschedule of an accepted one,
anything by anyone); none assumes the attempt succeeds: the expected code is always worked out from the
domain, for whoever acts, with whatever If-Match.

Times are chosen on a 10-minute grid and the clock moves in 25-minute steps, so a start never lies within
seconds of "now": the model's and the server's idea of "has it started" cannot differ.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from apptdesk.domain import Action, AppointmentStatus, Relation, decide, patch_action, relation_of
from apptdesk.domain.rules import RESULTING_STATUS
from apptdesk.server.embedded import ServerThread
from tests.server.oracle import ACTORS, STALE, Person, check, other_participant, parse_time, people
from tests.support.api import Api, MutableClock

PENDING, ACCEPTED = AppointmentStatus.PENDING, AppointmentStatus.ACCEPTED
MAX_LIVE, MAX_APPOINTMENTS = 3, 10  # live: pending or accepted
STEP = timedelta(minutes=25)
TRANSITIONS = {
    "accept": Action.ACCEPT,
    "reject": Action.REJECT,
    "cancel": Action.CANCEL,
    "complete": Action.COMPLETE,
}
EDITS = {
    "move": ("start",),
    "lengthen": ("duration_minutes",),
    "describe": ("purpose",),
    "move-and-describe": ("start", "purpose"),
}
# Stand-ins for whoever proposed the current time and whoever is asked to answer it.
PROPOSER, AWAITED = "proposer", "awaited"
PARTICIPANT = st.sampled_from([AWAITED, PROPOSER])
ANYONE = st.sampled_from([AWAITED, PROPOSER, *ACTORS])
PICK = st.integers(0, MAX_APPOINTMENTS)
OPTIONAL_IF_MATCH = st.sampled_from(["none", "current", "stale"])
REQUIRED_IF_MATCH = st.sampled_from(["current", "none", "stale"])
REASONS = st.sampled_from([None, "", "Something came up"])
TENTHS = st.integers(1, 4)  # starts 10 to 40 minutes ahead


@dataclass
class Model:
    status: AppointmentStatus
    proposer: str
    start: datetime
    duration: int
    purpose: str
    version: int = 1
    changes: int = 0  # history entries after "created"
    reason: str | None = None


def if_match(kind: str, model: Model) -> dict[str, str]:
    return {"none": {}, "current": {"If-Match": f'"{model.version}"'}, "stale": {"If-Match": STALE}}[kind]


class StatusMachine(RuleBasedStateMachine):
    server_url = ""
    clock = MutableClock()

    def __init__(self) -> None:
        super().__init__()
        self.api = Api(self.server_url, self.clock)
        self.known: dict[str, Person] = people(self.api)
        self.token = uuid.uuid4().hex  # in every purpose of this run: lists find exactly its appointments
        self.model: dict[int, Model] = {}
        self.serial = 0

    # --- helpers ------------------------------------------------------------------------------------

    def start_in(self, tenths: int) -> datetime:
        """A start ``tenths`` x 10 minutes from the server's now, to the second."""
        return (self.clock() + timedelta(minutes=10 * tenths)).replace(microsecond=0)

    def purpose(self) -> str:
        self.serial += 1
        return f"{self.token} step {self.serial}"

    def with_status(self, *statuses: AppointmentStatus) -> list[int]:
        return sorted(i for i, m in self.model.items() if not statuses or m.status in statuses)

    def pick(self, pick: int, *statuses: AppointmentStatus) -> tuple[int, Model]:
        candidates = self.with_status(*statuses)
        appointment = candidates[pick % len(candidates)]
        return appointment, self.model[appointment]

    def person(self, who: str, model: Model) -> str:
        return {PROPOSER: model.proposer, AWAITED: other_participant(model.proposer)}.get(who, who)

    def relation(self, who: str, model: Model | None) -> Relation | None:
        if who == "anon":
            return None
        person, r1, p1 = self.known[who], self.known["r1"], self.known["p1"]
        proposer = self.known[model.proposer].id if model else None
        return relation_of(person.id, person.role, r1.id, p1.id, proposer)

    def agrees(self, body: dict[str, Any], model: Model) -> None:
        assert body["status"] == model.status.value
        assert body["proposed_by"]["id"] == self.known[model.proposer].id
        awaiting = self.known[other_participant(model.proposer)].id if model.status is PENDING else None
        assert (body["awaiting"] or {}).get("id") == awaiting
        assert parse_time(body["start"]) == model.start
        assert body["duration_minutes"] == model.duration
        assert body["purpose"] == model.purpose
        assert body["version"] == model.version
        assert body["reason"] == model.reason

    # --- the requests, and what the domain says they must get -----------------------------------------

    def create_as(self, who: str, tenths: int) -> None:
        start, purpose = self.start_in(tenths), self.purpose()
        rel = self.relation(who, None)
        expected = 401 if rel is None else decide(Action.CREATE, rel, PENDING).outcome.value
        expected = 201 if expected == 200 else expected
        response = self.api.client(who).post(
            "/cases/C-1/appointments", json={"start": start.isoformat(), "purpose": purpose}
        )
        body = check(response, expected)
        if expected == 201:
            model = Model(PENDING, who, start, 30, purpose)
            self.agrees(body, model)
            self.model[body["id"]] = model

    def transition(self, appointment: int, who: str, name: str, tag: str, reason: str | None = None) -> None:
        model = self.model[appointment]
        who, action = self.person(who, model), TRANSITIONS[name]
        rel = self.relation(who, model)
        if rel is None:
            expected = 401
        else:
            expected = decide(action, rel, model.status, now=self.clock(), start=model.start).outcome.value
            if expected == 200 and tag == "stale":  # If-Match is optional, but honoured when sent
                expected = 412
        takes_reason = action in (Action.REJECT, Action.CANCEL)
        json = {"reason": reason} if takes_reason and reason is not None else None
        response = self.api.client(who).post(
            f"/appointments/{appointment}/{name}", json=json, headers=if_match(tag, model)
        )
        body = check(response, expected)
        if expected != 200:
            return
        new_status = RESULTING_STATUS[action]
        assert new_status is not None
        model.status, model.version, model.changes = new_status, model.version + 1, model.changes + 1
        model.reason = (reason or None) if takes_reason else None
        self.agrees(body, model)

    def edit(self, appointment: int, who: str, edit: str, tag: str, tenths: int) -> None:
        model = self.model[appointment]
        who = self.person(who, model)
        new_start = self.start_in(tenths)
        if new_start == model.start:
            new_start += timedelta(minutes=10)
        values: dict[str, Any] = {
            "start": new_start,
            "duration_minutes": 45 if model.duration != 45 else 60,
            "purpose": self.purpose(),
        }
        body = {name: values[name] for name in EDITS[edit]}
        action = patch_action(model.status, body)  # an edit, or a reschedule of an accepted appointment
        rel = self.relation(who, model)
        if rel is None:
            expected = 401
        else:
            expected = decide(action, rel, model.status).outcome.value
            if expected == 200 and tag != "current":  # If-Match is required
                expected = 428 if tag == "none" else 412
        json = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in body.items()}
        response = self.api.client(who).patch(
            f"/appointments/{appointment}", json=json, headers=if_match(tag, model)
        )
        result = check(response, expected)
        if expected != 200:
            return
        model.start = body.get("start", model.start)
        model.duration = body.get("duration_minutes", model.duration)
        model.purpose = body.get("purpose", model.purpose)
        model.version, model.changes = model.version + 1, model.changes + 1
        if action is Action.RESCHEDULE:
            model.status, model.proposer, model.reason = PENDING, who, None
        self.agrees(result, model)

    # --- rules --------------------------------------------------------------------------------------

    @initialize(tenths=TENTHS)
    def requester_proposes(self, tenths: int) -> None:
        self.create_as("r1", tenths)

    @initialize(tenths=TENTHS)
    def provider_proposes(self, tenths: int) -> None:
        self.create_as("p1", tenths)

    @precondition(lambda self: len(self.with_status(PENDING, ACCEPTED)) < MAX_LIVE)
    @precondition(lambda self: len(self.model) < MAX_APPOINTMENTS)
    @rule(who=st.sampled_from(ACTORS), tenths=TENTHS)
    def create(self, who: str, tenths: int) -> None:
        self.create_as(who, tenths)

    @precondition(lambda self: bool(self.with_status(PENDING)))
    @rule(pick=PICK, who=PARTICIPANT, name=st.sampled_from(["accept", "reject"]), tag=OPTIONAL_IF_MATCH)
    def answer(self, pick: int, who: str, name: str, tag: str) -> None:
        """Mostly the awaited participant; sometimes the proposer, who must be refused."""
        appointment, _ = self.pick(pick, PENDING)
        self.transition(appointment, who, name, tag, "Not then")

    @precondition(lambda self: bool(self.with_status(PENDING, ACCEPTED)))
    @rule(
        pick=PICK, who=PARTICIPANT, edit=st.sampled_from(sorted(EDITS)), tag=REQUIRED_IF_MATCH, tenths=TENTHS
    )
    def change(self, pick: int, who: str, edit: str, tag: str, tenths: int) -> None:
        """Edit or reschedule a live appointment: which one, and whether it is allowed, is the domain's."""
        appointment, _ = self.pick(pick, PENDING, ACCEPTED)
        self.edit(appointment, who, edit, tag, tenths)

    @precondition(lambda self: bool(self.with_status(ACCEPTED)))
    @rule(pick=PICK, who=PARTICIPANT, tag=OPTIONAL_IF_MATCH)
    def complete(self, pick: int, who: str, tag: str) -> None:
        """Allowed only once the start has passed: before that, 409."""
        appointment, _ = self.pick(pick, ACCEPTED)
        self.transition(appointment, who, "complete", tag)

    @precondition(lambda self: bool(self.with_status(PENDING, ACCEPTED)))
    @rule(pick=PICK, who=PARTICIPANT, tag=OPTIONAL_IF_MATCH, reason=REASONS)
    def cancel(self, pick: int, who: str, tag: str, reason: str | None) -> None:
        appointment, _ = self.pick(pick, PENDING, ACCEPTED)
        self.transition(appointment, who, "cancel", tag, reason)

    @rule(
        pick=PICK,
        who=ANYONE,
        move=st.sampled_from(sorted(TRANSITIONS) + sorted(EDITS)),
        tag=st.sampled_from(["none", "current", "stale"]),
        tenths=TENTHS,
    )
    def anything(self, pick: int, who: str, move: str, tag: str, tenths: int) -> None:
        """Any move by anyone on any appointment, final ones included: mostly refusals."""
        appointment, _ = self.pick(pick)
        if move in TRANSITIONS:
            self.transition(appointment, who, move, tag, "Whatever")
        else:
            self.edit(appointment, who, move, tag, tenths)

    @precondition(lambda self: bool(self.with_status(PENDING, ACCEPTED)))
    @rule()
    def time_passes(self) -> None:
        self.clock.advance(STEP)
        # Access tokens last 15 minutes of server time: sign everyone in again.
        self.api.close()
        self.api = Api(self.server_url, self.clock)

    # --- what must always hold ----------------------------------------------------------------------

    @invariant()
    def the_server_agrees_with_the_model(self) -> None:
        listed = check(self.api.client("r1").get("/appointments", params={"q": self.token}), 200)
        assert sorted(item["id"] for item in listed["items"]) == sorted(self.model)
        for item in listed["items"]:
            self.agrees(item, self.model[item["id"]])

    def teardown(self) -> None:
        try:
            for appointment, model in self.model.items():
                entries = check(self.api.client("p1").get(f"/appointments/{appointment}/history"), 200)
                assert len(entries) == model.changes + 1
                assert entries[0]["action"] == "created"
                for before, after in itertools.pairwise(entries):
                    assert after["from_status"] == before["to_status"]
                assert entries[-1]["to_status"] == model.status.value
        finally:
            self.api.close()


def test_status_machine(server: ServerThread, clock: MutableClock) -> None:
    machine = type("BoundStatusMachine", (StatusMachine,), {"server_url": server.url, "clock": clock})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
