"""The live stream and the notification calls, against a real server (pings every 0.3 s).

Network trouble is made on cue by a TCP proxy between the stream and the server (cut, frozen,
refusing), or by restarting the server on the same port and database. What the stream delivered is
checked against the user's event log in the database: exactly the events after the start, once each,
in order. A few cases a real server cannot provoke run against a fake one at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from apptdesk.api import (
    ApiClient,
    EventStream,
    EventType,
    InvalidResponse,
    LiveEvent,
    LiveState,
    LiveStatus,
    NotFound,
    RateLimited,
    ServerUnavailable,
    Unauthorized,
    parse_live_event,
    parse_notification,
)
from apptdesk.server.app import create_app
from apptdesk.server.embedded import ServerThread
from tests.api.helpers import Recorder, later, run, sign_in
from tests.api.test_transport import FakeServer, signed_in
from tests.support.api import MutableClock
from tests.support.databases import cheap_settings, fetch
from tests.support.tcp_proxy import TcpProxy

PING = 0.3
DEADLINE = 30.0  # no scenario may take longer
# Quick to notice and to retry, so that the tests are fast; the defaults are for real networks.
FAST: dict[str, Any] = {
    "read_timeout": 5.0,
    "backoff_initial": 0.05,
    "backoff_max": 0.4,
    "healthy_after": 0.2,
}


def start_server(database_url: str, clock: MutableClock, port: int = 0) -> ServerThread:
    settings = cheap_settings(database_url).model_copy(update={"event_ping_seconds": PING})
    return ServerThread(create_app(settings, clock=clock, sweeper=False), port=port).start()


@pytest.fixture
def live_server(database_url: str, clock: MutableClock) -> Iterator[ServerThread]:
    thread = start_server(database_url, clock)
    yield thread
    thread.stop()


def within_deadline(coro: Coroutine[Any, Any, None]) -> None:
    run(asyncio.wait_for(coro, DEADLINE))


async def until(predicate: Callable[[], bool], what: str, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


class Listener:
    """An ``EventStream`` run in a task, as the application runs it, recording what it hears."""

    def __init__(self, api: ApiClient, **options: Any) -> None:
        self.events: list[LiveEvent] = []
        self.states: list[LiveStatus] = []
        self.stream = EventStream(api, on_state=self.states.append, **{**FAST, **options})
        self.task = asyncio.ensure_future(self.stream.run(self.events.append))

    async def connected(self) -> None:
        await until(lambda: self.stream.status.is_live, "the stream to connect")

    async def received(self, count: int, within: float = 10.0) -> None:
        await until(lambda: len(self.events) >= count, f"{count} events (have {self.events})", within)

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    @property
    def seen(self) -> list[tuple[int, str]]:
        return [(event.id, event.type) for event in self.events]

    def states_of(self, state: LiveState) -> list[LiveStatus]:
        return [status for status in self.states if status.state is state]


@contextlib.asynccontextmanager
async def listening(api: ApiClient, **options: Any) -> AsyncIterator[Listener]:
    listener = Listener(api, **options)
    try:
        yield listener
    finally:
        await listener.stop()


def logged_events(database_url: str, user_id: int, after: int) -> list[tuple[int, str]]:
    rows = fetch(
        database_url,
        "SELECT id, type FROM user_events WHERE user_id = :user AND id > :after ORDER BY id",
        user=user_id,
        after=after,
    )
    return [(int(str(row[0])), str(row[1])) for row in rows]


def user_id(api: ApiClient) -> int:
    assert api.user is not None
    return api.user.id


# --- events reach the right people -----------------------------------------------------------------


def test_events_reach_the_participants_and_no_one_else(
    live_server: ServerThread, clock: MutableClock
) -> None:
    url = live_server.url

    async def scenario() -> None:
        async with ApiClient(url) as r1, ApiClient(url) as p1, ApiClient(url) as r2:
            for api, who in ((r1, "r1"), (p1, "p1"), (r2, "r2")):
                await sign_in(api, who)
            async with listening(r1) as rita, listening(p1) as paul, listening(r2) as rob:
                for listener in (rita, paul, rob):
                    await listener.connected()
                    assert listener.states[-1] == LiveStatus(LiveState.CONNECTED, resumed=False)
                created = await r1.create_appointment("C-1", later(clock, days=2))
                await paul.received(2)
                await rita.received(1)

                # The provider hears of it and gets a notification; the requester who acted only sees
                # the change (for her other windows).
                assert [e.type for e in paul.events] == ["notification.created", "appointment.created"]
                note, change = paul.events
                assert note.type == EventType.NOTIFICATION_CREATED
                assert (note.appointment_id, note.case_id) == (created.id, "C-1")
                assert note.data["kind"] == "created"
                assert (change.appointment_id, change.case_id, change.version) == (created.id, "C-1", 1)
                assert change.data["status"] == "pending"
                assert note.id < change.id
                assert paul.stream.last_event_id == change.id
                [(mine, _)] = [(e.type, e.id) for e in rita.events]
                assert mine == "appointment.created"
                notifications = await p1.notifications()
                assert [n.id for n in notifications.items] == [note.notification_id]

                # Someone outside case C-1 heard nothing: the first thing Rob hears is his own change.
                other = await r2.create_appointment("C-2", later(clock, days=3))
                await rob.received(1)
                assert rob.events[0].type == "appointment.created"
                assert rob.events[0].appointment_id == other.id
                assert all(e.case_id == "C-1" for e in paul.events + rita.events)

                # A change by the provider reaches the requester, with the new version.
                accepted = await p1.accept(created)
                await rita.received(3)
                assert [e.type for e in rita.events[1:]] == ["notification.created", "appointment.updated"]
                assert rita.events[2].version == accepted.version
                assert rita.events[2].data["action"] == "accepted"
            for listener in (rita, paul, rob):
                assert listener.states[-1] == LiveStatus(LiveState.STOPPED)
                assert listener.task.cancelled()

    within_deadline(scenario())


# --- the notification calls ------------------------------------------------------------------------


def test_notifications_list_count_and_mark_read(live_server: ServerThread, clock: MutableClock) -> None:
    url = live_server.url

    async def scenario() -> None:
        async with ApiClient(url) as r1, ApiClient(url) as p1, ApiClient(url) as p1_elsewhere:
            await sign_in(r1, "r1")
            await sign_in(p1, "p1")
            await sign_in(p1_elsewhere, "p1")
            assert await p1.unread_count() == 0
            assert (await p1.notifications()).items == ()
            assert await p1.mark_all_read() == 0

            first = await r1.create_appointment("C-1", later(clock, days=2))
            second = await r1.create_appointment("C-1", later(clock, days=3))
            assert await p1.unread_count() == 2
            assert await r1.unread_count() == 0  # who acted is not notified

            page = await p1.notifications()
            assert [n.appointment_id for n in page.items] == [second.id, first.id]  # newest first
            assert page.is_last
            newest = page.items[0]
            assert (newest.kind, newest.case_id, newest.read) == ("created", "C-1", False)
            assert newest.created_at.tzinfo is not None
            assert "C-1" in newest.title
            assert newest.body

            one = await p1.notifications(limit=1)
            assert [n.id for n in one.items] == [newest.id]
            rest = await p1.notifications(limit=1, cursor=one.next_cursor)
            assert [n.id for n in rest.items] == [page.items[1].id]
            assert rest.is_last

            async with listening(p1_elsewhere) as other_window:
                await other_window.connected()
                marked = await p1.mark_read(newest.id)
                assert marked.id == newest.id
                assert marked.read
                assert (await p1.mark_read(newest.id)).read  # again: no change, no error
                assert await p1.unread_count() == 1
                assert [n.id for n in (await p1.notifications(unread_only=True)).items] == [page.items[1].id]

                # The user's other windows hear of it, once.
                await other_window.received(1)
                read = other_window.events[0]
                assert read.type == EventType.NOTIFICATION_READ
                assert read.unread_count == 1
                assert read.data["notification_ids"] == [newest.id]

                assert await p1.mark_all_read() == 1
                await other_window.received(2)
                assert other_window.events[1].unread_count == 0
                assert other_window.events[1].data["all"] is True
                assert len(other_window.events) == 2
            assert await p1.unread_count() == 0
            assert all(n.read for n in (await p1.notifications()).items)
            assert (await p1.notifications(unread_only=True)).items == ()

            with pytest.raises(NotFound):
                await r1.mark_read(newest.id)  # someone else's
            with pytest.raises(NotFound):
                await p1.mark_read(2**31 - 1)

    within_deadline(scenario())


# --- broken connections ----------------------------------------------------------------------------


def test_a_cut_stream_reconnects_and_gets_exactly_what_it_missed(
    live_server: ServerThread, clock: MutableClock, database_url: str
) -> None:
    async def scenario() -> None:
        proxy = await TcpProxy(live_server.host, live_server.port).start()
        try:
            async with ApiClient(live_server.url) as r1, ApiClient(proxy.url) as p1:
                await sign_in(r1, "r1")
                await sign_in(p1, "p1")
                async with listening(p1) as paul:
                    await paul.connected()
                    start = logged_events(database_url, user_id(p1), 0)
                    after = start[-1][0] if start else 0
                    first = await r1.create_appointment("C-1", later(clock, days=2))
                    await paul.received(2)

                    # The network fails: the open stream is reset and new connections are refused.
                    proxy.refusing = True
                    proxy.cut()
                    await until(lambda: bool(paul.states_of(LiveState.RECONNECTING)), "reconnecting")
                    await r1.create_appointment("C-1", later(clock, days=3))
                    await r1.cancel(first, "no longer needed")
                    attempts = proxy.accepted
                    await until(lambda: proxy.accepted >= attempts + 2, "attempts while refused")
                    assert len(paul.events) == 2
                    assert paul.stream.status.state is LiveState.RECONNECTING

                    proxy.refusing = False
                    await paul.received(6)
                    await asyncio.sleep(3 * PING)  # time for a duplicate to show up, if one were sent
                    expected = logged_events(database_url, user_id(p1), after)
                    assert paul.seen == expected
                    assert len(expected) == 6
                    assert [t for _, t in expected[2:]] == [
                        "notification.created",
                        "appointment.created",
                        "notification.created",
                        "appointment.updated",
                    ]

                reconnecting = paul.states_of(LiveState.RECONNECTING)
                assert all(isinstance(s.error, ServerUnavailable) for s in reconnecting)
                assert [s.attempt for s in reconnecting] == list(range(1, len(reconnecting) + 1))
                assert all(
                    s.retry_in is not None and 0 < s.retry_in <= FAST["backoff_max"] for s in reconnecting
                )
                connected = paul.states_of(LiveState.CONNECTED)
                assert [s.resumed for s in connected] == [False, True]  # the second replayed what it missed
                assert paul.states[-1].state is LiveState.STOPPED
        finally:
            await proxy.close()

    within_deadline(scenario())


def test_a_server_restart_on_the_same_database_loses_nothing(database_url: str, clock: MutableClock) -> None:
    servers = [start_server(database_url, clock)]

    async def scenario() -> None:
        url, port = servers[0].url, servers[0].port
        async with ApiClient(url) as r1, ApiClient(url) as p1:
            await sign_in(r1, "r1")
            await sign_in(p1, "p1")
            async with listening(p1) as paul:
                await paul.connected()
                start = logged_events(database_url, user_id(p1), 0)
                after = start[-1][0] if start else 0
                first = await r1.create_appointment("C-1", later(clock, days=2))
                await paul.received(2)

                await asyncio.to_thread(servers[0].stop)  # ends the stream it holds, within its grace time
                await until(lambda: bool(paul.states_of(LiveState.RECONNECTING)), "reconnecting")
                servers.append(await asyncio.to_thread(start_server, database_url, clock, port))
                await r1.cancel(first, "no longer needed")
                await paul.received(4)
                await asyncio.sleep(3 * PING)
                expected = logged_events(database_url, user_id(p1), after)
                assert paul.seen == expected
                assert [t for _, t in expected] == [
                    "notification.created",
                    "appointment.created",
                    "notification.created",
                    "appointment.updated",
                ]
                assert paul.events[3].data["action"] == "canceled"

    try:
        within_deadline(scenario())
    finally:
        for server in servers:
            server.stop()


def test_a_silent_connection_is_noticed_by_the_read_timeout(
    live_server: ServerThread, clock: MutableClock, database_url: str
) -> None:
    async def scenario() -> None:
        proxy = await TcpProxy(live_server.host, live_server.port).start()
        try:
            async with ApiClient(live_server.url) as r1, ApiClient(proxy.url) as p1:
                await sign_in(r1, "r1")
                await sign_in(p1, "p1")
                async with listening(p1, read_timeout=1.0) as paul:
                    await paul.connected()
                    start = logged_events(database_url, user_id(p1), 0)
                    after = start[-1][0] if start else 0
                    first = await r1.create_appointment("C-1", later(clock, days=2))
                    await paul.received(2)
                    await asyncio.sleep(4 * PING)  # pings keep a live connection well within the timeout
                    assert paul.states_of(LiveState.RECONNECTING) == []

                    proxy.freeze()  # the connection stays open but nothing arrives any more
                    second = await r1.create_appointment("C-1", later(clock, days=3))
                    await paul.received(4, within=5.0)
                    [timed_out] = paul.states_of(LiveState.RECONNECTING)
                    assert isinstance(timed_out.error, ServerUnavailable)
                    assert timed_out.error.title == "Timeout"
                    assert [e.appointment_id for e in paul.events] == [
                        first.id,
                        first.id,
                        second.id,
                        second.id,
                    ]
                    await asyncio.sleep(3 * PING)
                    assert paul.seen == logged_events(database_url, user_id(p1), after)
                    assert [s.resumed for s in paul.states_of(LiveState.CONNECTED)] == [False, True]
        finally:
            await proxy.close()

    within_deadline(scenario())


# --- tokens and the sign-in ------------------------------------------------------------------------


def test_an_expired_access_token_is_refreshed_and_no_event_is_lost(
    live_server: ServerThread, clock: MutableClock, database_url: str
) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        async with ApiClient(live_server.url) as r1, recorder.attach(ApiClient(live_server.url)) as p1:
            await sign_in(r1, "r1")
            await sign_in(p1, "p1")
            async with listening(p1) as paul:
                await paul.connected()
                start = logged_events(database_url, user_id(p1), 0)
                after = start[-1][0] if start else 0
                first = await r1.create_appointment("C-1", later(clock, days=2))
                await paul.received(2)
                await asyncio.sleep(FAST["healthy_after"])

                clock.advance(timedelta(minutes=16))  # both access tokens have expired
                # Made while the server is ending the stream for the old token: replayed afterwards.
                await r1.cancel(first, "changed plans")
                second = await r1.create_appointment("C-1", later(clock, days=3))
                await paul.received(6)
                await asyncio.sleep(3 * PING)
                assert paul.seen == logged_events(database_url, user_id(p1), after)
                assert paul.events[-1].appointment_id == second.id
                assert len(recorder.tokens) == 2  # signed in, then refreshed once for the stream
                assert recorder.ended == 0
                # The server ended a healthy stream: the client went on at once, without a pause to show.
                assert paul.states_of(LiveState.RECONNECTING) == []
                assert paul.stream.status.is_live
                assert await p1.unread_count() == 3  # and the ApiClient goes on with the new token

    within_deadline(scenario())


def test_an_ended_sign_in_stops_the_stream_and_tells_the_application(
    live_server: ServerThread, clock: MutableClock
) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        async with recorder.attach(ApiClient(live_server.url)) as p1:
            await sign_in(p1, "p1")
            listener = Listener(p1)
            await listener.connected()
            clock.advance(timedelta(hours=13))  # past the 12-hour sign-in
            await asyncio.wait_for(listener.task, 10)  # run() returns: the stream stopped for good
            assert listener.task.exception() is None
            assert recorder.ended == 1
            assert recorder.tokens[-1] is None
            final = listener.states[-1]
            assert final.state is LiveState.STOPPED
            assert isinstance(final.error, Unauthorized)
            assert listener.stream.is_stopped
            assert not p1.is_signed_in

    within_deadline(scenario())


def test_signing_out_stops_the_stream_without_ending_a_session(live_server: ServerThread) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        async with recorder.attach(ApiClient(live_server.url)) as p1:
            await sign_in(p1, "p1")
            listener = Listener(p1)
            await listener.connected()
            await p1.logout()  # the server ends the stream of the revoked sign-in at its next ping
            await asyncio.wait_for(listener.task, 10)
            assert listener.states[-1].state is LiveState.STOPPED
            assert isinstance(listener.states[-1].error, Unauthorized)
            assert recorder.ended == 0

    within_deadline(scenario())


def test_a_stream_started_signed_out_stops_at_once(live_server: ServerThread) -> None:
    async def scenario() -> None:
        async with ApiClient(live_server.url) as api:
            states: list[LiveStatus] = []
            async with EventStream(api, on_state=states.append) as stream:
                assert [event async for event in stream] == []
            assert [s.state for s in states] == [LiveState.STOPPED]
            assert isinstance(states[0].error, Unauthorized)

    within_deadline(scenario())


# --- stopping --------------------------------------------------------------------------------------


def test_cancelling_closes_the_connection(live_server: ServerThread, clock: MutableClock) -> None:
    async def scenario() -> None:
        proxy = await TcpProxy(live_server.host, live_server.port).start()
        try:
            async with ApiClient(proxy.url) as p1, ApiClient(live_server.url) as r1:
                await sign_in(p1, "p1")
                await sign_in(r1, "r1")
                listener = Listener(p1)
                await listener.connected()
                assert proxy.open_event_streams == 1
                listener.task.cancel()
                await asyncio.gather(listener.task, return_exceptions=True)
                assert listener.task.cancelled()
                assert listener.states[-1] == LiveStatus(LiveState.STOPPED)
                await until(lambda: proxy.open_event_streams == 0, "the connection to close")
                await r1.create_appointment("C-1", later(clock))
                assert await p1.unread_count() == 1  # the ApiClient is as good as before
                assert listener.events == []

                # Iterating: leaving the block closes the stream, even in the middle of an event.
                async with EventStream(p1, last_event_id=0, **FAST) as stream:
                    async for event in stream:
                        assert event.type == "notification.created"  # replayed from the start
                        assert proxy.open_event_streams == 1
                        break
                assert stream.is_stopped
                assert stream.last_event_id == event.id
                await until(lambda: proxy.open_event_streams == 0, "the connection to close")
                assert [e async for e in stream] == []  # one use only
        finally:
            await proxy.close()

    within_deadline(scenario())


def test_closing_the_api_client_stops_the_stream(live_server: ServerThread) -> None:
    async def scenario() -> None:
        api = ApiClient(live_server.url)
        await sign_in(api, "p1")
        listener = Listener(api)
        await listener.connected()
        await api.aclose()
        await asyncio.wait_for(listener.task, 10)
        assert listener.states[-1] == LiveStatus(LiveState.STOPPED)

    within_deadline(scenario())


# --- what a real server cannot provoke -------------------------------------------------------------


def sse(*messages: str) -> httpx.Response:
    return httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content="".join(messages).encode()
    )


def event(event_id: int | str, kind: str, data: object) -> str:
    return f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(data)}\n\n"


def test_resumes_after_the_last_delivered_event_and_drops_repeats_and_bad_events() -> None:
    fake = FakeServer()
    answers = [
        sse(
            "retry: 2000\n\n",
            event(3, "appointment.created", {"appointment_id": 1, "case_id": "C-1"}),
            ": ping\n\n",
            event(4, "appointment.updated", {"appointment_id": 1, "version": 2}),
            event(4, "appointment.updated", {"appointment_id": 1, "version": 2}),  # repeated
            event(2, "appointment.created", {}),  # older
            "id: 5\nevent: appointment.updated\ndata: {not json\n\n",  # skipped, never asked for again
            event(6, "appointment.updated", {"appointment_id": "1"}),  # wrong type: skipped
            event("x7", "appointment.updated", {}),  # no usable id
        ),
        sse(event(6, "future.thing", {"a": 1}), event(7, "future.thing", {"a": 1})),
        sse("id: 9\n\n"),  # a position without an event: resume after it
        sse(event(9, "appointment.updated", {}), event(10, "notification.read", {"unread_count": 0})),
    ]
    requests: list[httpx.Request] = []

    async def events(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if answers:
            return answers.pop(0)
        await asyncio.sleep(60)
        raise AssertionError("not reached")

    fake.overrides["/events"] = events

    async def scenario() -> None:
        async with await signed_in(fake) as api:
            listener = Listener(api, healthy_after=60, last_event_id=2)
            await listener.received(4)
            await until(lambda: len(requests) == 5, "the fifth connection")
            await listener.stop()
            assert listener.seen == [
                (3, "appointment.created"),
                (4, "appointment.updated"),
                (7, "future.thing"),
                (10, "notification.read"),
            ]
            assert listener.events[1].version == 2
            assert listener.events[3].unread_count == 0
            sent = [r.headers.get("Last-Event-ID") for r in requests]
            assert sent == ["2", "6", "7", "9", "10"]
            assert all(r.headers["Accept"] == "text/event-stream" for r in requests)
            # Ended streams that were never healthy count as failures, each a longer wait.
            assert [s.attempt for s in listener.states_of(LiveState.RECONNECTING)] == [1, 2, 3, 4]
            assert [s.resumed for s in listener.states_of(LiveState.CONNECTED)] == [True] * 4

    within_deadline(scenario())


def test_a_stream_that_delivered_nothing_starts_afresh_and_says_so() -> None:
    fake = FakeServer()
    answers = [sse("retry: 2000\n\n"), sse(": ping\n\n"), sse(event(4, "appointment.created", {}))]
    requests: list[httpx.Request] = []

    async def events(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if answers:
            return answers.pop(0)
        await asyncio.sleep(60)
        raise AssertionError("not reached")

    fake.overrides["/events"] = events

    async def scenario() -> None:
        async with await signed_in(fake) as api:
            listener = Listener(api, healthy_after=0)  # each ended stream counts as healthy
            await until(lambda: len(requests) == 4, "the fourth connection")
            await listener.stop()
            assert [r.headers.get("Last-Event-ID") for r in requests] == [None, None, None, "4"]
            # Without a position each reconnect starts from now: each is told, so views can reload.
            assert [s.resumed for s in listener.states_of(LiveState.CONNECTED)] == [False, False, False]
            assert listener.states_of(LiveState.RECONNECTING) == []

    within_deadline(scenario())


def test_unexpected_answers_are_retried_not_raised() -> None:
    fake = FakeServer()
    answers = [
        httpx.Response(404, json={"title": "Not Found", "status": 404, "detail": "No such resource."}),
        httpx.Response(200, json={"not": "a stream"}),
        httpx.Response(503, text="busy"),
        httpx.Response(
            429, headers={"Retry-After": "0"}, json={"title": "T", "status": 429, "detail": "slow"}
        ),
    ]

    async def events(_request: httpx.Request) -> httpx.Response:
        if answers:
            return answers.pop(0)
        raise httpx.ConnectError("refused")

    fake.overrides["/events"] = events

    async def scenario() -> None:
        async with await signed_in(fake) as api:
            listener = Listener(api)
            await until(lambda: len(listener.states_of(LiveState.RECONNECTING)) >= 6, "six attempts")
            await listener.stop()
            errors = [type(s.error) for s in listener.states_of(LiveState.RECONNECTING)]
            assert errors[:5] == [
                NotFound,
                InvalidResponse,
                ServerUnavailable,
                RateLimited,
                ServerUnavailable,
            ]
            assert listener.states[0].state is LiveState.RECONNECTING  # from CONNECTING, never connected
            assert listener.states[-1].state is LiveState.STOPPED
            assert fake.refreshes == 0

    within_deadline(scenario())


def test_a_refused_token_is_refreshed_once_and_a_refused_fresh_one_ends_the_sign_in() -> None:
    fake = FakeServer()
    recorder = Recorder()
    refused = 0

    async def events(request: httpx.Request) -> httpx.Response:
        nonlocal refused
        refused += 1
        return httpx.Response(401, json={"title": "Unauthorized", "status": 401, "detail": "revoked"})

    fake.overrides["/events"] = events

    async def scenario() -> None:
        async with await signed_in(fake, recorder) as api:
            listener = Listener(api)
            await asyncio.wait_for(listener.task, 5)
            assert refused == 2
            assert fake.refreshes == 1
            assert recorder.ended == 1
            assert isinstance(listener.states[-1].error, Unauthorized)

    within_deadline(scenario())


# --- parsing ---------------------------------------------------------------------------------------


def test_parse_notification_and_live_event() -> None:
    data = {
        "id": 7,
        "kind": "accepted",
        "appointment_id": 51,
        "case_id": "C-1",
        "created_at": "2030-11-24T06:00:00+01:00",
        "read": False,
        "title": "Accepted · case C-1",
        "body": "Paul accepted.",
    }
    notification = parse_notification(data)
    assert notification.created_at.utcoffset() == timedelta(0)
    assert (notification.id, notification.read, notification.appointment_id) == (7, False, 51)
    with pytest.raises(InvalidResponse, match=r"notification\.read"):
        parse_notification({**data, "read": "no"})

    live = parse_live_event(12, "appointment.updated", {"appointment_id": 51, "case_id": "C-1", "version": 3})
    assert (live.appointment_id, live.case_id, live.version, live.notification_id) == (51, "C-1", 3, None)
    assert live.type == EventType.APPOINTMENT_UPDATED
    with pytest.raises(TypeError):
        live.data["x"] = 1  # type: ignore[index]
    read = parse_live_event(13, "notification.read", {"unread_count": 2, "all": True})
    assert (read.unread_count, read.appointment_id, read.case_id) == (2, None, None)
    with pytest.raises(InvalidResponse, match=r"event\.appointment_id"):
        parse_live_event(14, "appointment.created", {"appointment_id": True})
    with pytest.raises(InvalidResponse):
        parse_live_event(15, "appointment.created", [1, 2])
