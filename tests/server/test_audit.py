"""The audit trail: every change in the appointment's history; administrators' reads in an access log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.support.api import API, Api, assert_problem
from tests.support.databases import fetch, fetch_each

HISTORY_FIELDS = {"id", "at", "actor", "action", "from_status", "to_status", "changes", "reason"}


def access_log(database_url: str) -> list[tuple[object, ...]]:
    return fetch(database_url, "SELECT user_id, appointment_id, resource FROM access_log ORDER BY id")


def trail(database_url: str) -> list[list[tuple[object, ...]]]:
    return fetch_each(
        database_url,
        "SELECT id, appointment_id, actor_id, action, from_status, to_status"
        " FROM appointment_history ORDER BY id",
        "SELECT id, status, version, updated_at FROM appointments ORDER BY id",
    )


def user_id(api: Api, who: str) -> int:
    return int(api.client(who).get("/me").json()["id"])


def history(api: Api, who: str, appointment_id: int) -> list[dict[str, Any]]:
    response = api.client(who).get(f"/appointments/{appointment_id}/history")
    assert response.status_code == 200, response.text
    return list(response.json())


def at(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["at"])


def test_admin_reads_are_logged_apart_from_the_history(api: Api, database_url: str) -> None:
    appointment = api.create("r1")
    admin_id = user_id(api, "admin")
    before = trail(database_url)
    assert access_log(database_url) == []

    assert api.get("admin", appointment["id"]) == appointment
    assert access_log(database_url) == [
        (admin_id, appointment["id"], f"{API}/appointments/{appointment['id']}")
    ]
    assert len(history(api, "admin", appointment["id"])) == 1
    assert access_log(database_url) == [
        (admin_id, appointment["id"], f"{API}/appointments/{appointment['id']}"),
        (admin_id, appointment["id"], f"{API}/appointments/{appointment['id']}/history"),
    ]
    # Reading is not a change: no history entry, no new version.
    assert trail(database_url) == before
    assert api.get("r1", appointment["id"])["version"] == appointment["version"]


def test_access_log_records_when(api: Api, database_url: str) -> None:
    appointment = api.create("r1")
    api.clock.advance(timedelta(minutes=3))
    moment = api.clock()
    api.get("admin", appointment["id"])
    (logged,) = fetch(database_url, "SELECT at FROM access_log")
    value = logged[0]
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=moment.tzinfo)
    assert abs(stamp - moment) < timedelta(seconds=5)


def test_participants_and_outsiders_leave_no_access_log(api: Api, database_url: str) -> None:
    appointment = api.create("r1")
    for who in ("r1", "p1"):
        api.get(who, appointment["id"])
        history(api, who, appointment["id"])
        assert api.client(who).get("/appointments").status_code == 200
        assert api.client(who).get("/cases/C-1/appointments").status_code == 200
    for who in ("r2", "p2"):
        assert_problem(api.client(who).get(f"/appointments/{appointment['id']}"), 404)
        assert_problem(api.client(who).get(f"/appointments/{appointment['id']}/history"), 404)
    # An administrator asking for what does not exist is not a read of anything.
    assert_problem(api.client("admin").get("/appointments/999999"), 404)
    assert_problem(api.client("admin").get("/appointments/999999/history"), 404)
    assert access_log(database_url) == []


def test_history_records_every_change_with_actor_statuses_and_fields(api: Api) -> None:
    clock = api.clock
    created = api.create("r1", purpose="First purpose", duration_minutes=45)
    appointment_id = created["id"]
    moments = [clock()]

    clock.advance(timedelta(minutes=2))
    moments.append(clock())
    accepted = api.act("p1", appointment_id, "accept")
    assert accepted.status_code == 200, accepted.text

    clock.advance(timedelta(minutes=2))
    moments.append(clock())
    edited = api.patch("r1", accepted.json(), purpose="Second purpose")
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "accepted"

    clock.advance(timedelta(minutes=2))
    moments.append(clock())
    new_start = api.future(days=2)
    moved = api.patch("p1", edited.json(), start=new_start, duration_minutes=60)
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "pending"

    clock.advance(timedelta(minutes=2))
    moments.append(clock())
    assert api.act("r1", appointment_id, "accept").status_code == 200

    clock.advance(timedelta(minutes=2))
    moments.append(clock())
    assert api.act("p1", appointment_id, "cancel", reason="Unwell").status_code == 200

    entries = history(api, "r1", appointment_id)
    assert history(api, "p1", appointment_id) == entries
    assert history(api, "admin", appointment_id) == entries
    assert all(set(entry) == HISTORY_FIELDS for entry in entries)
    summary = [
        (e["action"], e["actor"]["name"] if e["actor"] else None, e["from_status"], e["to_status"])
        for e in entries
    ]
    assert summary == [
        ("created", "Rita Requester", None, "pending"),
        ("accepted", "Paul Provider", "pending", "accepted"),
        ("edited", "Rita Requester", "accepted", "accepted"),
        ("rescheduled", "Paul Provider", "accepted", "pending"),
        ("accepted", "Rita Requester", "pending", "accepted"),
        ("canceled", "Paul Provider", "accepted", "canceled"),
    ]
    for entry in entries:
        assert set(entry["actor"]) == {"id", "name", "role"}
    assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)
    for entry, moment in zip(entries, moments, strict=True):
        assert abs(at(entry) - moment) < timedelta(seconds=5), entry

    creation = entries[0]["changes"]
    assert datetime.fromisoformat(creation["start"][1]) == datetime.fromisoformat(created["start"])
    assert creation["start"][0] is None
    assert creation["duration_minutes"] == [None, 45]
    assert creation["purpose"] == [None, "First purpose"]
    assert entries[1]["changes"] == {}
    assert entries[2]["changes"] == {"purpose": ["First purpose", "Second purpose"]}
    assert set(entries[3]["changes"]) == {"start", "duration_minutes"}
    old_start, moved_start = entries[3]["changes"]["start"]
    assert datetime.fromisoformat(old_start) == datetime.fromisoformat(created["start"])
    assert datetime.fromisoformat(moved_start) == datetime.fromisoformat(new_start)
    assert entries[3]["changes"]["duration_minutes"] == [45, 60]
    assert [e["reason"] for e in entries] == [None, None, None, None, None, "Unwell"]


def test_refused_attempts_leave_no_trace(api: Api, database_url: str) -> None:
    appointment = api.create("r1")
    before = trail(database_url)
    assert_problem(api.act("admin", appointment["id"], "cancel"), 403)
    assert_problem(api.patch("admin", appointment, purpose="Oversight"), 403)
    assert_problem(api.act("r1", appointment["id"], "accept"), 403)  # the proposer cannot accept
    assert_problem(api.act("r1", appointment["id"], "complete"), 409)
    assert_problem(api.act("r2", appointment["id"], "cancel"), 404)
    assert_problem(api.patch("r1", {**appointment, "version": 99}, purpose="Stale"), 412)
    assert trail(database_url) == before
    assert [e["action"] for e in history(api, "r1", appointment["id"])] == ["created"]


def test_history_of_a_rejection_keeps_the_reason(api: Api, database_url: str) -> None:
    appointment = api.create("p1", purpose="Review")
    assert api.act("r1", appointment["id"], "reject", reason="  Not that week  ").status_code == 200
    last = history(api, "p1", appointment["id"])[-1]
    assert (last["action"], last["from_status"], last["to_status"]) == ("rejected", "pending", "rejected")
    assert last["actor"]["name"] == "Rita Requester"
    assert last["reason"] == "Not that week"
    r1_id = user_id(api, "r1")
    rows = fetch(
        database_url,
        "SELECT actor_id, action FROM appointment_history WHERE appointment_id = :id ORDER BY id",
        id=appointment["id"],
    )
    assert rows == [(user_id(api, "p1"), "created"), (r1_id, "rejected")]


def test_admin_list_reads_are_logged_once_per_request(api: Api, database_url: str) -> None:
    api.create("r1")
    admin_id = user_id(api, "admin")
    for who in ("r1", "p1"):
        assert api.client(who).get("/appointments").status_code == 200
    assert access_log(database_url) == []  # participants reading their own lists are not logged

    assert api.client("admin").get("/appointments", params={"status": "pending"}).status_code == 200
    assert api.client("admin").get("/cases").status_code == 200
    assert api.client("admin").get("/cases/C-1/appointments").status_code == 200
    assert access_log(database_url) == [
        (admin_id, None, f"{API}/appointments?status=pending"),
        (admin_id, None, f"{API}/cases"),
        (admin_id, None, f"{API}/cases/C-1/appointments"),
    ]
