"""Every allowed and every forbidden move of an appointment through its statuses, as the spec states them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from apptdesk.domain import Action, AppointmentStatus, decide, patch_action
from apptdesk.domain.rules import PERMISSIONS
from tests.server.oracle import Person, check, other_participant, parse_time, people, relation
from tests.support.api import Api, assert_problem

PENDING, ACCEPTED = "pending", "accepted"
WRITES = ("accept", "reject", "cancel", "complete")


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    return dict(response.json())


def history(api: Api, appointment_id: int, who: str = "r1") -> list[dict[str, Any]]:
    response = api.client(who).get(f"/appointments/{appointment_id}/history")
    assert response.status_code == 200, response.text
    return list(response.json())


def accepted(api: Api, creator: str = "r1", **body: Any) -> dict[str, Any]:
    created = api.create(creator, **body)
    return ok(api.act(other_participant(creator), created["id"], "accept"))


def unchanged(api: Api, before: dict[str, Any]) -> None:
    assert api.get("r1", before["id"]) == before, "a refused request changed the appointment"


@pytest.mark.parametrize("creator", ["r1", "p1"])
def test_create_makes_a_pending_proposal_awaiting_the_other(api: Api, creator: str) -> None:
    known = people(api)
    other = other_participant(creator)
    start = api.future(days=3)
    response = api.client(creator).post(
        "/cases/C-1/appointments", json={"start": start, "duration_minutes": 45, "purpose": "First look"}
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == PENDING
    assert created["created_by"]["id"] == created["proposed_by"]["id"] == known[creator].id
    assert created["awaiting"]["id"] == known[other].id
    assert created["type"] == known[creator].role.value
    assert (created["requester"]["id"], created["provider"]["id"]) == (known["r1"].id, known["p1"].id)
    assert parse_time(created["start"]) == parse_time(start)
    assert parse_time(created["end"]) - parse_time(created["start"]) == timedelta(minutes=45)
    assert created["reason"] is None
    assert response.headers["ETag"] == f'"{created["version"]}"'
    assert api.get(other, created["id"]) == created

    (entry,) = history(api, created["id"])
    assert entry["action"] == "created"
    assert entry["actor"]["id"] == known[creator].id
    assert (entry["from_status"], entry["to_status"]) == (None, PENDING)
    assert set(entry["changes"]) >= {"start", "duration_minutes", "purpose"}


def test_create_defaults_to_thirty_minutes(api: Api) -> None:
    created = api.create("r1")
    assert created["duration_minutes"] == 30
    assert parse_time(created["end"]) - parse_time(created["start"]) == timedelta(minutes=30)


@pytest.mark.parametrize("creator", ["r1", "p1"])
@pytest.mark.parametrize("answer", ["accept", "reject"])
def test_only_the_awaited_participant_answers(api: Api, answer: str, creator: str) -> None:
    known = people(api)
    created = api.create(creator)
    awaited = other_participant(creator)
    assert created["awaiting"]["id"] == known[awaited].id
    assert_problem(api.act(creator, created["id"], answer), 403)
    assert_problem(api.act("admin", created["id"], answer), 403)
    for outsider in ("r2", "p2"):
        assert_problem(api.act(outsider, created["id"], answer), 404)
    unchanged(api, created)

    answered = ok(api.act(awaited, created["id"], answer))
    assert answered["status"] == {"accept": ACCEPTED, "reject": "rejected"}[answer]
    assert answered["awaiting"] is None
    assert answered["proposed_by"] == created["proposed_by"]
    assert answered["version"] == created["version"] + 1


@pytest.mark.parametrize("first", ["accept", "reject"])
@pytest.mark.parametrize("second", ["accept", "reject"])
def test_a_second_answer_is_a_conflict_not_a_permission_error(api: Api, first: str, second: str) -> None:
    created = api.create("r1")
    answered = ok(api.act("p1", created["id"], first))
    body = assert_problem(api.act("p1", created["id"], second), 409)
    assert answered["status"] in body["detail"]
    unchanged(api, answered)


def test_proposer_edits_a_pending_appointment(api: Api) -> None:
    known = people(api)
    created = api.create("r1", purpose="Before")
    new_start = api.future(days=4)
    edited = ok(api.patch("r1", created, start=new_start, duration_minutes=60, purpose="After"))
    assert edited["status"] == PENDING
    assert edited["proposed_by"]["id"] == known["r1"].id
    assert edited["awaiting"]["id"] == known["p1"].id
    assert parse_time(edited["start"]) == parse_time(new_start)
    assert parse_time(edited["end"]) == parse_time(new_start) + timedelta(minutes=60)
    assert edited["purpose"] == "After"
    assert edited["version"] == created["version"] + 1

    entry = history(api, created["id"])[-1]
    assert entry["action"] == "edited"
    assert (entry["from_status"], entry["to_status"]) == (PENDING, PENDING)
    assert entry["changes"]["purpose"] == ["Before", "After"]
    assert entry["changes"]["duration_minutes"] == [30, 60]
    old, new = entry["changes"]["start"]
    assert (parse_time(old), parse_time(new)) == (parse_time(created["start"]), parse_time(new_start))

    # The awaited participant answers; editing is not theirs while pending.
    for body in ({"start": api.future(days=5)}, {"purpose": "Theirs"}):
        assert_problem(api.patch("p1", edited, **body), 403)
    unchanged(api, edited)


@pytest.mark.parametrize("mover", ["r1", "p1"])
@pytest.mark.parametrize("field", ["start", "duration_minutes"])
def test_either_participant_reschedules_an_accepted_appointment(api: Api, mover: str, field: str) -> None:
    """A new time is a counter-proposal: pending again, awaiting the other, who may accept it."""
    known = people(api)
    other = other_participant(mover)
    before = accepted(api, "r1")
    change: dict[str, Any] = {"start": api.future(days=6)} if field == "start" else {"duration_minutes": 90}
    moved = ok(api.patch(mover, before, **change))
    assert moved["status"] == PENDING
    assert moved["proposed_by"]["id"] == known[mover].id
    assert moved["awaiting"]["id"] == known[other].id
    assert moved["created_by"] == before["created_by"]

    entry = history(api, before["id"])[-1]
    assert entry["action"] == "rescheduled"
    assert entry["actor"]["id"] == known[mover].id
    assert (entry["from_status"], entry["to_status"]) == (ACCEPTED, PENDING)
    assert set(entry["changes"]) == {field}

    assert_problem(api.act(mover, before["id"], "accept"), 403)
    again = ok(api.act(other, before["id"], "accept"))
    assert again["status"] == ACCEPTED
    assert again["proposed_by"]["id"] == known[mover].id


def test_purpose_edit_of_an_accepted_appointment_keeps_it_accepted(api: Api) -> None:
    known = people(api)
    before = accepted(api, "r1", purpose="Old")
    edited = ok(api.patch("r1", before, purpose="New"))
    assert edited["status"] == ACCEPTED
    assert edited["purpose"] == "New"
    assert edited["proposed_by"] == before["proposed_by"]
    assert edited["awaiting"] is None
    entry = history(api, before["id"])[-1]
    assert (entry["action"], entry["from_status"], entry["to_status"]) == ("edited", ACCEPTED, ACCEPTED)
    assert entry["changes"] == {"purpose": ["Old", "New"]}

    # The counterpart's purpose edit: whatever the domain decides, the server must agree.
    rel = relation(known, "p1", edited)
    assert rel is not None
    action = patch_action(AppointmentStatus.ACCEPTED, ["purpose"])
    expected = decide(action, rel, AppointmentStatus.ACCEPTED).outcome.value
    check(api.patch("p1", edited, purpose="Counterpart's"), expected)
    if expected != 200:
        unchanged(api, edited)


@pytest.mark.parametrize("status", [PENDING, ACCEPTED])
@pytest.mark.parametrize("who", ["r1", "p1"])
def test_either_participant_cancels_with_a_reason(api: Api, status: str, who: str) -> None:
    known = people(api)
    before = accepted(api) if status == ACCEPTED else api.create("r1")
    canceled = ok(api.act(who, before["id"], "cancel", reason="  Travel plans changed  "))
    assert canceled["status"] == "canceled"
    assert canceled["reason"] == "Travel plans changed"
    assert canceled["awaiting"] is None
    entry = history(api, before["id"])[-1]
    assert (entry["action"], entry["from_status"], entry["to_status"]) == ("canceled", status, "canceled")
    assert entry["actor"]["id"] == known[who].id
    assert entry["reason"] == "Travel plans changed"


def test_reject_stores_the_reason(api: Api) -> None:
    created = api.create("p1")
    rejected = ok(api.act("r1", created["id"], "reject", reason="I need a morning slot"))
    assert (rejected["status"], rejected["reason"]) == ("rejected", "I need a morning slot")
    entry = history(api, created["id"])[-1]
    assert (entry["from_status"], entry["to_status"], entry["reason"]) == (
        PENDING,
        "rejected",
        "I need a morning slot",
    )


def test_reason_is_optional_and_bounded(api: Api) -> None:
    no_reason = ok(api.act("p1", api.create("r1")["id"], "reject"))
    assert no_reason["reason"] is None
    blank = ok(api.act("r1", api.create("r1")["id"], "cancel", reason="   "))
    assert blank["reason"] is None
    created = api.create("r1")
    assert_problem(api.act("p1", created["id"], "reject", reason="x" * 501), 422)
    unchanged(api, created)
    assert ok(api.act("p1", created["id"], "reject", reason="x" * 500))["reason"] == "x" * 500


def test_complete_needs_an_accepted_appointment_whose_start_has_passed(api: Api) -> None:
    pending = api.create("r1", start=api.future(minutes=5))
    held = accepted(api, "r1", start=api.future(minutes=5))
    for who in ("r1", "p1"):
        assert_problem(api.act(who, held["id"], "complete"), 409)
        assert_problem(api.act(who, pending["id"], "complete"), 409)

    api.clock.advance(timedelta(minutes=6))  # small steps: access tokens last 15 minutes of server time
    for who in ("r1", "p1"):
        assert_problem(api.act(who, pending["id"], "complete"), 409)
    unchanged(api, pending)
    assert_problem(api.act("admin", held["id"], "complete"), 403)
    done = ok(api.act("p1", held["id"], "complete"))
    assert done["status"] == "completed"
    assert done["awaiting"] is None
    assert_problem(api.act("r1", held["id"], "complete"), 409)


def _final(api: Api, status: str) -> dict[str, Any]:
    if status == "rejected":
        return ok(api.act("p1", api.create("r1")["id"], "reject"))
    if status == "canceled":
        return ok(api.act("r1", accepted(api)["id"], "cancel"))
    held = accepted(api, start=api.future(minutes=10))
    api.clock.advance(timedelta(minutes=11))
    return ok(api.act("r1", held["id"], "complete"))


@pytest.mark.parametrize("status", ["rejected", "canceled", "completed"])
def test_final_states_refuse_everything(api: Api, status: str) -> None:
    """Whoever may take an action in principle gets 409; the others keep their 403."""
    known = people(api)
    final = _final(api, status)
    assert final["status"] == status
    entries = history(api, final["id"])
    conflicts = 0
    for who in ("r1", "p1"):
        rel = relation(known, who, final)
        assert rel is not None
        attempts: list[tuple[Action, httpx.Response]] = [
            (Action(name), api.act(who, final["id"], name)) for name in WRITES
        ]
        for body in ({"start": api.future(days=9)}, {"duration_minutes": 50}, {"purpose": "Late"}):
            action = patch_action(AppointmentStatus(status), body)
            attempts.append((action, api.patch(who, final, **body)))
        for action, response in attempts:
            code = 409 if rel in PERMISSIONS[action] else 403
            assert_problem(response, code)
            conflicts += code == 409
    assert conflicts >= len(WRITES), "every final status must turn away those who hold the permission"
    unchanged(api, final)
    assert history(api, final["id"]) == entries


@pytest.mark.parametrize("status", [PENDING, ACCEPTED])
def test_admin_reads_everything_and_writes_nothing(api: Api, status: str) -> None:
    start = api.future(minutes=5)
    before = accepted(api, start=start) if status == ACCEPTED else api.create("r1", start=start)
    api.clock.advance(timedelta(minutes=6))  # past the start: a participant could complete it now
    admin = api.client("admin")
    assert check(admin.get(f"/appointments/{before['id']}"), 200) == before
    entries = check(admin.get(f"/appointments/{before['id']}/history"), 200)
    for name in WRITES:
        body = assert_problem(api.act("admin", before["id"], name, reason="oversight"), 403)
        assert "read-only" in body["detail"]
    for change in ({"start": api.future(days=3)}, {"purpose": "admin"}, {"duration_minutes": 60}):
        assert_problem(api.patch("admin", before, **change), 403)
    assert_problem(admin.post("/cases/C-1/appointments", json={"start": api.future()}), 403)
    unchanged(api, before)
    # Reads by the admin go to the access log, not into the appointment's history.
    assert history(api, before["id"]) == entries


def test_the_whole_walk_and_its_history(api: Api) -> None:
    """create -> edit -> accept -> reschedule -> re-accept -> complete: one history entry per change."""
    known = people(api)
    created = api.create("r1", start=api.future(minutes=5), purpose="Second opinion")
    edited = ok(api.patch("r1", created, purpose="Second opinion on the MRI"))
    accepted_once = ok(api.act("p1", created["id"], "accept"))
    moved = ok(api.patch("p1", accepted_once, start=api.future(minutes=8)))
    assert (moved["status"], moved["awaiting"]["id"]) == (PENDING, known["r1"].id)
    assert_problem(api.act("p1", created["id"], "accept"), 403)
    accepted_again = ok(api.act("r1", created["id"], "accept"))
    assert_problem(api.act("r1", created["id"], "complete"), 409)  # not started yet
    api.clock.advance(timedelta(minutes=9))
    done = ok(api.act("r1", created["id"], "complete"))
    assert done["status"] == "completed"
    assert [created["version"], edited["version"], accepted_once["version"]] == [1, 2, 3]
    assert [moved["version"], accepted_again["version"], done["version"]] == [4, 5, 6]

    entries = history(api, created["id"], who="p1")
    assert history(api, created["id"], who="admin") == entries
    steps = [
        (e["action"], e["actor"]["id"], e["from_status"], e["to_status"], sorted(e["changes"]))
        for e in entries
    ]
    r1, p1 = known["r1"].id, known["p1"].id
    assert steps == [
        ("created", r1, None, PENDING, ["duration_minutes", "purpose", "start"]),
        ("edited", r1, PENDING, PENDING, ["purpose"]),
        ("accepted", p1, PENDING, ACCEPTED, []),
        ("rescheduled", p1, ACCEPTED, PENDING, ["start"]),
        ("accepted", r1, PENDING, ACCEPTED, []),
        ("completed", r1, ACCEPTED, "completed", []),
    ]
    assert entries[1]["changes"]["purpose"] == ["Second opinion", "Second opinion on the MRI"]
    old, new = entries[3]["changes"]["start"]
    assert (parse_time(old), parse_time(new)) == (parse_time(created["start"]), parse_time(moved["start"]))
    times = [parse_time(e["at"]) for e in entries]
    assert times == sorted(times)


def test_everyone_sees_the_same_appointment(api: Api) -> None:
    known: dict[str, Person] = people(api)
    created = api.create("p1")
    assert api.get("r1", created["id"]) == api.get("admin", created["id"]) == created
    assert created["type"] == "provider"
    assert created["awaiting"]["id"] == known["r1"].id
