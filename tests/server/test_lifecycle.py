"""What the server does on its own: complete held appointments, expire unanswered proposals."""

from __future__ import annotations

import time as clock_time
from datetime import datetime, timedelta
from typing import Any

from apptdesk.server.app import create_app
from apptdesk.server.db.engine import Database
from apptdesk.server.embedded import ServerThread
from apptdesk.server.services.lifecycle import EXPIRED_REASON, SweepResult, sweep
from tests.support.api import Api, MutableClock, signed_in
from tests.support.databases import cheap_settings, fetch_each, run_async

GRACE = timedelta(minutes=60)


def run_sweep(database_url: str, now: datetime, grace: timedelta = GRACE) -> SweepResult:
    async def go() -> SweepResult:
        db = Database.connect(database_url)
        try:
            return await sweep(db, now, grace)
        finally:
            await db.dispose()

    return run_async(go)


def tables(database_url: str) -> list[list[tuple[object, ...]]]:
    return fetch_each(
        database_url,
        "SELECT id, status, reason, version, updated_at FROM appointments ORDER BY id",
        "SELECT id, appointment_id, actor_id, action, from_status, to_status, reason, at"
        " FROM appointment_history ORDER BY id",
    )


def history(api: Api, appointment_id: int) -> list[dict[str, Any]]:
    response = api.client("r1").get(f"/appointments/{appointment_id}/history")
    assert response.status_code == 200, response.text
    return list(response.json())


def accepted(api: Api, **start: float) -> dict[str, Any]:
    created = api.create("r1", start=api.future(**start), duration_minutes=30)
    response = api.act("p1", created["id"], "accept")
    assert response.status_code == 200, response.text
    return dict(response.json())


def end_of(appointment: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(appointment["end"])


def start_of(appointment: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(appointment["start"])


def test_accepted_appointment_is_completed_after_its_end_and_the_grace(api: Api, database_url: str) -> None:
    held = accepted(api, hours=1)
    end = end_of(held)

    assert run_sweep(database_url, end) == SweepResult(0, 0)
    assert run_sweep(database_url, end + GRACE - timedelta(seconds=1)) == SweepResult(0, 0)
    assert api.get("r1", held["id"])["status"] == "accepted"

    moment = end + GRACE + timedelta(seconds=1)
    assert run_sweep(database_url, moment) == SweepResult(completed=1, expired=0)
    after = api.get("p1", held["id"])
    assert after["status"] == "completed"
    assert after["awaiting"] is None
    assert after["version"] == held["version"] + 1
    assert abs(datetime.fromisoformat(after["updated_at"]) - moment) < timedelta(seconds=1)
    last = history(api, held["id"])[-1]
    assert last["actor"] is None  # the system
    assert last["action"] == "completed"
    assert (last["from_status"], last["to_status"]) == ("accepted", "completed")
    assert last["reason"] is None


def test_grace_is_a_parameter(api: Api, database_url: str) -> None:
    held = accepted(api, hours=1)
    end = end_of(held)
    assert run_sweep(database_url, end + timedelta(minutes=10), grace=timedelta(minutes=15)) == SweepResult(
        0, 0
    )
    assert run_sweep(database_url, end + timedelta(minutes=16), grace=timedelta(minutes=15)) == SweepResult(
        1, 0
    )


def test_unanswered_proposal_expires_once_its_start_passes(api: Api, database_url: str) -> None:
    proposal = api.create("p1", start=api.future(hours=2))
    start = start_of(proposal)

    assert run_sweep(database_url, start - timedelta(seconds=1)) == SweepResult(0, 0)
    assert api.get("r1", proposal["id"])["status"] == "pending"

    assert run_sweep(database_url, start + timedelta(seconds=1)) == SweepResult(completed=0, expired=1)
    after = api.get("r1", proposal["id"])
    assert after["status"] == "canceled"
    assert after["reason"] == EXPIRED_REASON == "No response before the proposed time."
    assert after["awaiting"] is None
    last = history(api, proposal["id"])[-1]
    assert last["actor"] is None
    assert last["action"] == "expired"
    assert (last["from_status"], last["to_status"]) == ("pending", "canceled")
    assert last["reason"] == EXPIRED_REASON


def test_a_rescheduled_appointment_expires_as_a_proposal(api: Api, database_url: str) -> None:
    held = accepted(api, hours=3)
    moved = api.patch("p1", held, start=api.future(hours=5))
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "pending"
    # Past the old end plus grace: it is not completed, because it is no longer accepted.
    assert run_sweep(database_url, end_of(held) + GRACE + timedelta(minutes=1)) == SweepResult(0, 0)
    assert run_sweep(database_url, start_of(moved.json()) + timedelta(minutes=1)) == SweepResult(0, 1)
    assert api.get("r1", held["id"])["status"] == "canceled"


def test_final_and_future_appointments_are_left_alone(api: Api, database_url: str) -> None:
    rejected = api.create("r1", start=api.future(hours=1))
    assert api.act("p1", rejected["id"], "reject", reason="Busy").status_code == 200
    canceled = accepted(api, hours=1)
    assert api.act("r1", canceled["id"], "cancel").status_code == 200
    completed = accepted(api, minutes=6)
    api.clock.advance(timedelta(minutes=10))  # past its start, within the access token's 15 minutes
    assert api.act("p1", completed["id"], "complete").status_code == 200
    future_pending = api.create("r1", start=api.future(days=30))
    future_accepted = accepted(api, days=30)

    before = tables(database_url)
    far = api.clock() + timedelta(days=2)
    assert run_sweep(database_url, far) == SweepResult(0, 0)
    assert tables(database_url) == before
    for item, status in [
        (rejected, "rejected"),
        (canceled, "canceled"),
        (completed, "completed"),
        (future_pending, "pending"),
        (future_accepted, "accepted"),
    ]:
        assert api.get("r1", item["id"])["status"] == status
    assert api.get("r1", rejected["id"])["reason"] == "Busy"


def test_a_second_sweep_changes_nothing(api: Api, database_url: str) -> None:
    held = [accepted(api, hours=1 + index) for index in range(3)]
    proposals = [api.create(who, start=api.future(hours=2)) for who in ("r1", "p1")]
    later = api.clock() + timedelta(hours=6)
    assert run_sweep(database_url, later) == SweepResult(completed=3, expired=2)
    after_first = tables(database_url)
    assert run_sweep(database_url, later) == SweepResult(0, 0)
    assert run_sweep(database_url, later + timedelta(days=1)) == SweepResult(0, 0)
    assert tables(database_url) == after_first
    for item in held:
        assert [entry["action"] for entry in history(api, item["id"])] == ["created", "accepted", "completed"]
    for item in proposals:
        assert [entry["action"] for entry in history(api, item["id"])] == ["created", "expired"]


def test_the_server_sweeps_by_itself(database_url: str) -> None:
    clock = MutableClock()
    settings = cheap_settings(database_url).model_copy(update={"sweep_interval_seconds": 0.05})
    thread = ServerThread(create_app(settings, clock=clock, sweeper=True)).start()
    try:
        api = Api(thread.url, clock)
        try:
            held = accepted(api, hours=1)
            proposal = api.create("p1", start=api.future(hours=1))
            clock.advance(timedelta(hours=2, minutes=31))
            api.close()
            api = Api(thread.url, clock)  # signed in again: the old access tokens have expired
            deadline = clock_time.monotonic() + 20
            while clock_time.monotonic() < deadline:
                statuses = (api.get("r1", held["id"])["status"], api.get("r1", proposal["id"])["status"])
                if statuses == ("completed", "canceled"):
                    break
                clock_time.sleep(0.05)
            assert statuses == ("completed", "canceled")
        finally:
            api.close()
    finally:
        thread.stop()


def test_the_sweeper_leaves_people_signed_in(database_url: str) -> None:
    clock = MutableClock()
    settings = cheap_settings(database_url).model_copy(update={"sweep_interval_seconds": 0.05})
    thread = ServerThread(create_app(settings, clock=clock, sweeper=True)).start()
    try:
        with signed_in(thread.url, "r1") as client:
            clock_time.sleep(0.3)  # several sweeps, which also forget long-expired tokens
            assert client.get("/me").status_code == 200
    finally:
        thread.stop()
