"""GET /events: each person's live stream (Server-Sent Events) through a real server.

Every read has a deadline (see ``sse_reader``): the stream is endless while the token is valid.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from apptdesk.server.app import create_app
from apptdesk.server.db.engine import Database
from apptdesk.server.db.tables import User, UserEvent
from apptdesk.server.embedded import ServerThread
from apptdesk.server.services import notifications
from apptdesk.server.services.lifecycle import sweep
from apptdesk.server.settings import Settings
from tests.server.sse_reader import Event, open_stream
from tests.support import world
from tests.support.api import API, Api, MutableClock, assert_problem
from tests.support.databases import cheap_settings, fetch, run_async

PING = 0.3  # seconds between the server's keep-alive comments in these tests
QUIET = 1.0  # how long "nothing more arrives" is watched: about three pings
SECRET_PURPOSE = "Purpose-OKAPI-7319 biopsy of the left kidney"
SECRET_REASON = "Reason-NARWHAL-2286 patient declined"


def stream_settings(database_url: str) -> Settings:
    return cheap_settings(database_url).model_copy(update={"event_ping_seconds": PING, "mailer": False})


@pytest.fixture
def server(database_url: str, clock: MutableClock) -> Iterator[ServerThread]:
    """The shared ``api`` fixture talks to this one: a server that pings every PING seconds."""
    thread = ServerThread(create_app(stream_settings(database_url), clock=clock, sweeper=False)).start()
    yield thread
    thread.stop()


def auth(api: Api, who: str) -> str:
    return str(api.client(who).headers["Authorization"])


def user_id(database_url: str, who: str) -> int:
    return int(str(fetch(database_url, "SELECT id FROM users WHERE email = :e", e=world.email(who))[0][0]))


def types(events: list[Event]) -> list[str]:
    return [event.type for event in events]


def has(*wanted: str) -> Callable[[list[Event]], bool]:
    return lambda events: all(kind in types(events) for kind in wanted)


def assert_increasing(events: list[Event]) -> None:
    ids = [event.id for event in events]
    assert ids == sorted(set(ids)), ids


def test_an_action_reaches_both_participants_and_notifies_only_the_other(
    api: Api, server: ServerThread
) -> None:
    with ExitStack() as stack:
        streams = {
            who: stack.enter_context(open_stream(server.url, auth(api, who)))
            for who in ("r1", "p1", "r2", "p2", "admin")
        }
        created = api.create("r1", purpose=SECRET_PURPOSE)

        p1 = streams["p1"].read_until(has("appointment.created", "notification.created"))
        r1 = streams["r1"].read_until(has("appointment.created"))
        for stream in (streams["p1"], streams["r1"]):
            stream.read_for(QUIET)
        assert sorted(types(p1)) == ["appointment.created", "notification.created"]
        assert types(r1) == ["appointment.created"]  # the actor is never notified
        for events in (p1, r1):
            assert_increasing(events)
            for event in events:
                assert event.data["appointment_id"] == created["id"]
                assert event.data["case_id"] == "C-1"
                assert "Purpose-OKAPI" not in json.dumps(event.data)
        change = next(e for e in p1 if e.type == "appointment.created").data
        assert change == {
            "appointment_id": created["id"],
            "case_id": "C-1",
            "action": "created",
            "status": "pending",
            "version": 1,
        }
        notice = next(e for e in p1 if e.type == "notification.created").data
        listed = api.client("p1").get("/notifications").json()["items"]
        assert len(listed) == 1
        assert notice["notification_id"] == listed[0]["id"]
        assert notice["kind"] == "created"
        assert (notice["title"], notice["body"]) == (listed[0]["title"], listed[0]["body"])

        # The outsiders and the admin heard nothing, though their streams were alive (pings came).
        for who in ("r2", "p2", "admin"):
            assert streams[who].read_for(QUIET) == [], who
            assert streams[who].pings >= 1, who

        # A change on case C-2 reaches its own people and no one of C-1.
        other = api.create("r2", "C-2")
        r2 = streams["r2"].read_until(has("appointment.created"))
        assert [(e.data["appointment_id"], e.data["case_id"]) for e in r2] == [(other["id"], "C-2")]
        streams["p2"].read_until(has("appointment.created", "notification.created"))
        for who in ("r1", "p1", "admin"):
            seen = streams[who].read_for(QUIET / 2)
            assert all(e.data.get("case_id") != "C-2" for e in seen), (who, seen)


def test_every_kind_of_change_arrives_in_order_with_notifications_for_the_other_side(
    api: Api, server: ServerThread, database_url: str
) -> None:
    with open_stream(server.url, auth(api, "r1")) as r1, open_stream(server.url, auth(api, "p1")) as p1:
        created = api.create("r1", start=api.future(days=2))
        accepted = api.act("p1", created["id"], "accept").json()
        moved = api.patch("r1", accepted, start=api.future(days=3))
        assert moved.status_code == 200, moved.text
        assert api.act("p1", created["id"], "reject", reason=SECRET_REASON).status_code == 200
        second = api.create("p1", start=api.future(days=4))
        assert api.act("p1", second["id"], "cancel", reason=SECRET_REASON).status_code == 200

        expected_p1 = [  # (type, action or kind, appointment)
            ("notification.created", "created", created["id"]),
            ("appointment.created", "created", created["id"]),
            ("appointment.updated", "accepted", created["id"]),
            ("notification.created", "rescheduled", created["id"]),
            ("appointment.updated", "rescheduled", created["id"]),
            ("appointment.updated", "rejected", created["id"]),
            ("appointment.created", "created", second["id"]),
            ("appointment.updated", "canceled", second["id"]),
        ]
        expected_r1 = [
            ("appointment.created", "created", created["id"]),
            ("notification.created", "accepted", created["id"]),
            ("appointment.updated", "accepted", created["id"]),
            ("appointment.updated", "rescheduled", created["id"]),
            ("notification.created", "rejected", created["id"]),
            ("appointment.updated", "rejected", created["id"]),
            ("notification.created", "created", second["id"]),
            ("appointment.created", "created", second["id"]),
            ("notification.created", "canceled", second["id"]),
            ("appointment.updated", "canceled", second["id"]),
        ]
        for stream, expected, who in ((p1, expected_p1, "p1"), (r1, expected_r1, "r1")):
            events = stream.read_count(len(expected))
            stream.read_for(QUIET)
            got = [
                (e.type, e.data.get("action") or e.data.get("kind"), e.data["appointment_id"])
                for e in stream.events
            ]
            assert got == expected, who
            assert_increasing(events)
            assert all(
                "OKAPI" not in json.dumps(e.data) and "NARWHAL" not in json.dumps(e.data) for e in events
            )
            # The ids are those of the person's own event log.
            logged = fetch(
                database_url,
                "SELECT id FROM user_events WHERE user_id = :u AND id >= :first ORDER BY id",
                u=user_id(database_url, who),
                first=events[0].id,
            )
            assert [e.id for e in events] == [row[0] for row in logged], who
        last = p1.events[-1]
        assert last.data["status"] == "canceled"
        assert last.data["version"] == 2

        # Marking read tells the person's other windows, with the new unread count.
        first = api.client("r1").get("/notifications").json()["items"][-1]
        assert api.client("r1").post(f"/notifications/{first['id']}/read").status_code == 200
        read = r1.read_until(has("notification.read"))[-1]
        assert read.data == {"unread_count": 3, "notification_ids": [first["id"]]}
        assert api.client("r1").post("/notifications/read-all").json() == {"count": 3}
        read_all = r1.read_until(lambda events: types(events).count("notification.read") == 2)[-1]
        assert read_all.data == {"unread_count": 0, "all": True}
        assert len(p1.read_for(QUIET / 2)) == len(expected_p1)  # r1's badges are r1's own


def test_the_system_s_own_changes_reach_and_notify_both(
    api: Api, server: ServerThread, database_url: str
) -> None:
    held = api.create("r1", start=api.future(hours=1), duration_minutes=30)
    assert api.act("p1", held["id"], "accept").status_code == 200
    unanswered = api.create("p1", start=api.future(hours=2))
    with open_stream(server.url, auth(api, "r1")) as r1, open_stream(server.url, auth(api, "p1")) as p1:

        async def go() -> None:
            db = Database.connect(database_url)
            try:
                await sweep(
                    db, datetime.fromisoformat(unanswered["start"]) + timedelta(hours=2), timedelta(0)
                )
            finally:
                await db.dispose()

        run_async(go)  # another connection: the server learns of it at its next look (a ping at most)
        for stream in (r1, p1):
            events = stream.read_count(4)
            stream.read_for(QUIET / 2)
            got = sorted(
                (e.type, e.data.get("action") or e.data.get("kind"), e.data["appointment_id"])
                for e in stream.events
            )
            assert got == sorted(
                [
                    ("appointment.updated", "completed", held["id"]),
                    ("notification.created", "completed", held["id"]),
                    ("appointment.updated", "expired", unanswered["id"]),
                    ("notification.created", "expired", unanswered["id"]),
                ]
            )
            assert_increasing(events)


def test_a_cut_stream_resumes_with_exactly_the_events_it_missed_once_each(
    api: Api, server: ServerThread, database_url: str, clock: MutableClock
) -> None:
    token = auth(api, "p1")
    with open_stream(server.url, token) as stream:
        first = api.create("r1")
        seen = stream.read_count(1)  # cut mid-way: after the first of the two events of this change
    assert len(seen) == 1
    cut_at = seen[0].id

    # While p1 is away: a change by p1 (no notification for p1), by r1 (with one), a new request.
    assert api.act("p1", first["id"], "accept").status_code == 200
    assert api.act("r1", first["id"], "cancel").status_code == 200
    second = api.create("r1", start=api.future(days=2))
    missed = [
        row[0]
        for row in fetch(
            database_url,
            "SELECT id FROM user_events WHERE user_id = :u AND id > :cut ORDER BY id",
            u=user_id(database_url, "p1"),
            cut=cut_at,
        )
    ]
    assert len(missed) == 6  # 1 left over from the first change, accept, cancel (2), second create (2)

    with open_stream(server.url, token, last_event_id=str(cut_at)) as again:
        events = again.read_count(len(missed))
        again.read_for(QUIET)  # and nothing more: each missed event came exactly once
        assert [e.id for e in again.events] == missed
        assert types(again.events) == [
            "appointment.created",
            "appointment.updated",
            "notification.created",
            "appointment.updated",
            "notification.created",
            "appointment.created",
        ]
        assert [e.data["appointment_id"] for e in events] == [first["id"]] * 4 + [second["id"]] * 2
        # Still live after the replay.
        third = api.create("r1", start=api.future(days=3))
        live = again.read_count(len(missed) + 2)[len(missed) :]
        assert {e.data["appointment_id"] for e in live} == {third["id"]}
        resume_from = live[-1].id

    # The replay comes from the database: a brand-new server (nothing in memory) gives the same answer,
    # and ?after= is the same as Last-Event-ID.
    fresh = ServerThread(create_app(stream_settings(database_url), clock=clock, sweeper=False)).start()
    try:
        with open_stream(fresh.url, token, params={"after": cut_at}) as replay:
            replay.read_count(len(missed) + 2)
            replay.read_for(QUIET)
            assert [e.id for e in replay.events] == [*missed, *(e.id for e in live)]
        with open_stream(fresh.url, token, last_event_id=str(resume_from)) as caught_up:
            assert caught_up.read_for(QUIET) == []
            assert caught_up.pings >= 1
    finally:
        fresh.stop()


def test_without_last_event_id_the_stream_starts_now(api: Api, server: ServerThread) -> None:
    api.create("r1")
    with open_stream(server.url, auth(api, "p1")) as stream:
        assert stream.read_for(QUIET) == []
        created = api.create("r1", start=api.future(days=2))
        events = stream.read_count(2)
        assert {e.data["appointment_id"] for e in events} == {created["id"]}


def test_a_position_beyond_the_newest_event_starts_now_instead_of_staying_silent(
    api: Api, server: ServerThread
) -> None:
    api.create("r1")  # some history, so "now" is not zero
    with open_stream(server.url, auth(api, "p1"), last_event_id="999999") as stream:
        created = api.create("r1", start=api.future(days=2))
        events = stream.read_count(2)
        assert {e.data["appointment_id"] for e in events} == {created["id"]}
        assert all(e.id < 999999 for e in events)


def test_replay_from_zero_holds_only_the_person_s_own_events(
    api: Api, server: ServerThread, database_url: str
) -> None:
    api.create("r1")
    api.create("p1", start=api.future(days=2))
    own = api.create("r2", "C-2")
    assert api.act("p2", own["id"], "accept").status_code == 200
    for who, expected_events in (("r2", 3), ("p2", 3), ("admin", 0)):
        with open_stream(server.url, auth(api, who), last_event_id="0") as stream:
            stream.read_count(expected_events)
            events = stream.read_for(QUIET)
        assert len(events) == expected_events, who
        assert all(e.data["case_id"] == "C-2" for e in events), who
        logged = fetch(
            database_url,
            "SELECT id FROM user_events WHERE user_id = :u ORDER BY id",
            u=user_id(database_url, who),
        )
        assert [e.id for e in events] == [row[0] for row in logged], who


def test_an_idle_stream_sends_comment_pings(api: Api, server: ServerThread) -> None:
    with open_stream(server.url, auth(api, "r1")) as stream:
        assert stream.read_for(4 * PING) == []
        assert stream.pings >= 2
        assert stream.retry == 2000
        assert stream.response.headers["cache-control"] == "no-cache"


def refusal(server: ServerThread, headers: list[tuple[bytes, bytes]], **params: Any) -> httpx.Response:
    """GET /events expecting an error: the status is checked before any body is read, so a stream
    that wrongly opens is closed at once instead of hanging the test."""
    with (
        httpx.Client(base_url=server.url + API, timeout=10) as http,
        http.stream("GET", "/events", headers=headers, params=params) as response,
    ):
        assert response.status_code != 200, "the stream opened"
        response.read()
        return response


def test_the_stream_needs_a_valid_token(server: ServerThread) -> None:
    for authorization in (None, b"Bearer apd_at_not-a-token", b"Basic eDp5"):
        headers = [(b"Authorization", authorization)] if authorization else []
        assert_problem(refusal(server, headers), 401)


BAD_IDS = ["abc", "-1", "1.5", "12 34", "0x10", "²", "2147483648", "99999999999999999999", "1" * 30]


@pytest.mark.parametrize("value", BAD_IDS)
def test_a_bad_last_event_id_is_400(api: Api, server: ServerThread, value: str) -> None:
    headers = [(b"Authorization", auth(api, "r1").encode()), (b"Last-Event-ID", value.encode("latin-1"))]
    assert_problem(refusal(server, headers), 400)


def test_the_largest_event_id_opens_a_quiet_stream(api: Api, server: ServerThread) -> None:
    with open_stream(server.url, auth(api, "r1"), last_event_id=str(2**31 - 1)) as stream:
        assert stream.read_for(2 * PING) == []
        assert stream.pings >= 1


def test_an_after_beyond_any_event_id_is_refused_not_a_broken_stream(api: Api, server: ServerThread) -> None:
    headers = [(b"Authorization", auth(api, "r1").encode())]
    assert_problem(refusal(server, headers, after=2**40), 422)


def test_the_stream_ends_at_logout(api: Api, server: ServerThread) -> None:
    token = auth(api, "r1")
    with open_stream(server.url, token) as stream:
        assert stream.read_for(PING) == []
        assert api.client("r1").post("/auth/logout").status_code == 204
        stream.wait_end(timeout=5)
    assert_problem(refusal(server, [(b"Authorization", token.encode())]), 401)


def test_the_stream_ends_when_the_access_token_expires(
    api: Api, server: ServerThread, clock: MutableClock
) -> None:
    with open_stream(server.url, auth(api, "p1")) as stream:
        clock.advance(timedelta(minutes=14))
        assert stream.read_for(3 * PING) == []
        assert not stream.ended
        clock.advance(timedelta(minutes=1, seconds=1))
        stream.wait_end(timeout=5)


def test_event_ids_become_visible_in_commit_order_even_for_read_marks(
    api: Api, server: ServerThread, database_url: str
) -> None:
    """A stream remembers the last id it sent and asks for larger ones; an id handed out earlier but
    committed later would be skipped for good. Here p1 marks a notification read (its event inserted,
    not yet committed) while r1's request writes p1 a new event: the later commit must get the later id."""
    api.create("r1")
    [notice] = api.client("p1").get("/notifications").json()["items"]
    p1 = user_id(database_url, "p1")

    def visible() -> list[int]:
        rows = fetch(database_url, "SELECT id FROM user_events WHERE user_id = :u ORDER BY id", u=p1)
        return [int(str(row[0])) for row in rows]

    seen_meanwhile: list[int] = []
    racing: list[Future[dict[str, Any]]] = []
    with ThreadPoolExecutor(1) as pool:

        def hold_before_commit(session: Session, _context: object) -> None:
            if racing or not any(isinstance(row, UserEvent) for row in session.new):
                return
            racing.append(pool.submit(api.create, "r1", start=api.future(days=2)))
            with contextlib.suppress(TimeoutError):
                racing[0].result(timeout=1.5)  # it may finish now, or wait for this transaction
            seen_meanwhile.extend(visible())  # what a stream reading now would have seen

        async def mark_read() -> None:
            db = Database.connect(database_url)
            try:
                async with db.write() as session:
                    event.listen(session.sync_session, "after_flush", hold_before_commit)
                    user = await session.get(User, p1)
                    assert user is not None
                    await notifications.mark_read(session, user, notice["id"], datetime.now(UTC))
            finally:
                await db.dispose()

        run_async(mark_read)
        assert racing, "the read mark wrote no event"
        racing[0].result(timeout=30)
    committed_later = [i for i in visible() if i not in seen_meanwhile]
    assert len(committed_later) == 3  # the read mark, and the new request's two events for p1
    assert min(committed_later) > max(seen_meanwhile), (seen_meanwhile, visible())
