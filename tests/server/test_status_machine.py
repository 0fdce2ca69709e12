"""A hypothesis state machine drives the real API with random people and actions on a few appointments.

It keeps a model of each appointment (status, proposer, start, version, history length) and predicts every
response code from the domain's ``decide``, ``patch_action`` and ``RESULTING_STATUS``, then checks that
the server agrees: in each response, in the list after every step and in the history at the end.

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

from apptdesk.domain import (
    Action,
    AppointmentStatus,
    Relation,
    allowed_actions,
    decide,
    patch_action,
    relation_of,
)
from apptdesk.domain.rules import RESULTING_STATUS
from apptdesk.server.embedded import ServerThread
from tests.server.oracle import ACTORS, STALE, Person, check, other_participant, parse_time, people
from tests.support.api import Api, MutableClock

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
# One rule makes every move, so their mix is set here (the earlier in a list, the likelier).
MOVES = st.sampled_from(["accept", "move", "complete", "cancel", "describe", "reject"]) | st.sampled_from(
    sorted(TRANSITIONS) + sorted(EDITS)
)
# Moves in the order they are preferred when picked by index: forward first, so short runs walk far.
ORDER = ["accept", "complete", "move", "lengthen", "describe", "move-and-describe", "reject", "cancel"]
# Stand-ins for whoever proposed the current time and whoever is asked to answer it.
PROPOSER, AWAITED = "proposer", "awaited"
# Everyone acts, but the participants more often: their actions are the ones that move the status.
WHO = st.sampled_from([AWAITED, PROPOSER] * 3 + ["r2", "p2", "admin", "anon"])
IF_MATCH = st.sampled_from(["current", "none", "current", "stale"])
REASONS = st.sampled_from([None, "", "Something came up"])
TENTHS = st.integers(1, 3)  # starts 10 to 30 minutes ahead


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

    def relation(self, who: str, model: Model | None) -> Relation | None:
        if who == "anon":
            return None
        person, r1, p1 = self.known[who], self.known["r1"], self.known["p1"]
        proposer = self.known[model.proposer].id if model else None
        return relation_of(person.id, person.role, r1.id, p1.id, proposer)

    def agrees(self, body: dict[str, Any], model: Model) -> None:
        assert body["status"] == model.status.value
        assert body["proposed_by"]["id"] == self.known[model.proposer].id
        awaiting = self.known[other_participant(model.proposer)].id if model.status == "pending" else None
        assert (body["awaiting"] or {}).get("id") == awaiting
        assert parse_time(body["start"]) == model.start
        assert body["duration_minutes"] == model.duration
        assert body["purpose"] == model.purpose
        assert body["version"] == model.version
        assert body["reason"] == model.reason

    def live(self) -> list[int]:
        return sorted(i for i, m in self.model.items() if m.status in ("pending", "accepted"))

    def time_passes(self) -> None:
        self.clock.advance(STEP)
        # Access tokens last 15 minutes of server time: sign everyone in again.
        self.api.close()
        self.api = Api(self.server_url, self.clock)

    # --- rules --------------------------------------------------------------------------------------

    def create_as(self, who: str, tenths: int) -> None:
        start, purpose = self.start_in(tenths), self.purpose()
        rel = self.relation(who, None)
        expected = 401 if rel is None else decide(Action.CREATE, rel, AppointmentStatus.PENDING).outcome.value
        expected = 201 if expected == 200 else expected
        response = self.api.client(who).post(
            "/cases/C-1/appointments", json={"start": start.isoformat(), "purpose": purpose}
        )
        body = check(response, expected)
        if expected == 201:
            model = Model(AppointmentStatus.PENDING, who, start, 30, purpose)
            self.agrees(body, model)
            self.model[body["id"]] = model

    @initialize(tenths=TENTHS)
    def requester_proposes(self, tenths: int) -> None:
        self.create_as("r1", tenths)

    @initialize(tenths=TENTHS)
    def provider_proposes(self, tenths: int) -> None:
        self.create_as("p1", tenths)

    @precondition(lambda self: len(self.live()) < MAX_LIVE and len(self.model) < MAX_APPOINTMENTS)
    @rule(who=st.sampled_from(ACTORS), tenths=TENTHS)
    def create(self, who: str, tenths: int) -> None:
        self.create_as(who, tenths)

    @rule(
        pick=st.integers(0, 40),
        anyone=st.sampled_from([False, False, False, True]),
        mode=st.sampled_from(["offered", "refused", "offered", "free"]),
        who=WHO,
        move=MOVES,
        tag=IF_MATCH,
        reason=REASONS,
        wait=st.booleans(),
        tenths=TENTHS,
    )
    def act(
        self,
        pick: int,
        anyone: bool,
        mode: str,
        who: str,
        move: str,
        tag: str,
        reason: str | None,
        wait: bool,
        tenths: int,
    ) -> None:
        """One move by one person on a live appointment (sometimes any), maybe after the clock moved on.

        ``offered``: a move the domain offers a participant right now (``allowed_actions``, what the
        client enables), so long walks (accept, reschedule, accept again, complete) happen often.
        ``refused``: a move it does not offer, by anyone. ``free``: whatever was drawn. Either way the
        expected answer is worked out afresh from ``decide``.
        """
        if wait:
            self.time_passes()
        candidates = sorted(self.model) if anyone or not self.live() else self.live()
        appointment = candidates[pick % len(candidates)]
        model = self.model[appointment]
        who = {PROPOSER: model.proposer, AWAITED: other_participant(model.proposer)}.get(who, who)
        if mode != "free":
            wanted = mode == "offered"
            choices = [(p, m) for p, m in self.moves(model) if self.is_offered(p, m, model) == wanted]
            if choices:
                who, move = choices[pick % len(choices)]
        if move in TRANSITIONS:
            self.transition(appointment, model, who, TRANSITIONS[move], tag, reason)
        else:
            self.edit(appointment, model, who, EDITS[move], tag, tenths)

    def moves(self, model: Model) -> list[tuple[str, str]]:
        """Every (person, move), the participants' forward moves first (the likeliest picks)."""
        people = [other_participant(model.proposer), model.proposer, "admin", "r2", "p2", "anon"]
        return [(p, m) for p in people for m in ORDER]

    def is_offered(self, who: str, move: str, model: Model) -> bool:
        rel = self.relation(who, model)
        if rel is None:
            return False
        action = TRANSITIONS[move] if move in TRANSITIONS else patch_action(model.status, EDITS[move])
        return action in allowed_actions(rel, model.status, now=self.clock(), start=model.start)

    def transition(
        self, appointment: int, model: Model, who: str, action: Action, tag: str, reason: str | None
    ) -> None:
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
            f"/appointments/{appointment}/{action.value}", json=json, headers=if_match(tag, model)
        )
        body = check(response, expected)
        if expected != 200:
            return
        new_status = RESULTING_STATUS[action]
        assert new_status is not None
        model.status, model.version, model.changes = new_status, model.version + 1, model.changes + 1
        model.reason = (reason or None) if takes_reason else None
        self.agrees(body, model)

    def edit(
        self, appointment: int, model: Model, who: str, fields: tuple[str, ...], tag: str, tenths: int
    ) -> None:
        new_start = self.start_in(tenths)
        if new_start == model.start:
            new_start += timedelta(minutes=10)
        values: dict[str, Any] = {
            "start": new_start,
            "duration_minutes": 45 if model.duration != 45 else 60,
            "purpose": self.purpose(),
        }
        body = {name: values[name] for name in fields}
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
            model.status, model.proposer, model.reason = AppointmentStatus.PENDING, who, None
        self.agrees(result, model)

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
