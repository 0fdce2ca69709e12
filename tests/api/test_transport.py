"""Client behaviour a real server cannot easily provoke: odd answers, timeouts, cancellation mid-refresh.

A small fake server behind ``httpx.MockTransport`` stands in for the network.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from apptdesk.api import (
    ApiClient,
    ApiError,
    Conflict,
    Forbidden,
    InvalidResponse,
    NotFound,
    PreconditionFailed,
    RateLimited,
    ServerUnavailable,
    Unauthorized,
    ValidationFailed,
)
from tests.api.helpers import Recorder, run
from tests.api.test_types import APPOINTMENT

USER = {"id": 1, "email": "rita@x.org", "name": "Rita", "role": "requester", "timezone": "UTC"}
Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


def problem(status: int, detail: str, **extra: Any) -> httpx.Response:
    body = {"type": "about:blank", "title": "T", "status": status, "detail": detail, **extra}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


class FakeServer:
    """Token rotation like the real one; ``overrides`` answer chosen paths instead."""

    def __init__(self) -> None:
        self.generation = 1
        self.refreshes = 0
        self.refresh_delay = 0.0
        self.refresh_answer: httpx.Response | None = None
        self.overrides: dict[str, Handler] = {}
        self.seen: list[httpx.Request] = []
        self.access_ok = False

    @property
    def access(self) -> str:
        return f"apd_at_{self.generation}"

    @property
    def refresh(self) -> str:
        return f"apd_rt_{self.generation}"

    def session(self) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "access_token": self.access,
                "refresh_token": self.refresh,
                "token_type": "bearer",
                "expires_in": 900,
                "user": USER,
            },
        )

    def expire_access(self) -> None:
        """The access token stops working; the refresh token still works once."""
        self.access_ok = False

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        path = request.url.path.removeprefix("/api/v1")
        if path in self.overrides:
            return await self.overrides[path](request)
        if path == "/auth/login":
            self.access_ok = True
            return self.session()
        if path == "/auth/refresh":
            self.refreshes += 1
            await asyncio.sleep(self.refresh_delay)
            if self.refresh_answer is not None:
                return self.refresh_answer
            if json.loads(request.content)["refresh_token"] != self.refresh:
                return problem(401, "The sign-in has expired or was ended; sign in again.")
            self.generation += 1
            self.access_ok = True
            return self.session()
        if request.headers.get("Authorization") != f"Bearer {self.access}" or not self.access_ok:
            return problem(401, "The access token is invalid or has expired; sign in again or refresh it.")
        if path == "/me":
            return httpx.Response(200, json=USER)
        if path == "/auth/logout":
            return httpx.Response(204)
        return problem(404, "No such resource.")


def client_for(fake: FakeServer, recorder: Recorder | None = None) -> ApiClient:
    client = ApiClient("http://fake.invalid", transport=httpx.MockTransport(fake))
    return recorder.attach(client) if recorder else client


async def signed_in(fake: FakeServer, recorder: Recorder | None = None) -> ApiClient:
    client = client_for(fake, recorder)
    await client.login("rita@x.org", "pw")
    return client


def answering(response: httpx.Response) -> Handler:
    async def handler(_request: httpx.Request) -> httpx.Response:
        return response

    return handler


def raising(exc: Exception) -> Handler:
    async def handler(_request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def call_me(response: httpx.Response | Handler) -> ApiError:
    fake = FakeServer()
    fake.overrides["/appointments/51"] = response if callable(response) else answering(response)

    async def scenario() -> ApiError:
        async with await signed_in(fake) as client:
            try:
                await client.appointment(51)
            except ApiError as exc:
                return exc
        raise AssertionError("no error")

    return run(scenario())


@pytest.mark.parametrize(
    ("response", "kind", "message"),
    [
        (
            problem(403, "Only the participant who was asked can accept this appointment."),
            Forbidden,
            "Only the",
        ),
        (problem(404, "No such resource."), NotFound, "This could not be found."),
        (
            problem(409, "Someone else changed this appointment at the same moment. Reload it."),
            Conflict,
            "Reload",
        ),
        (httpx.Response(409), Conflict, "Someone else changed this appointment first."),
        (problem(412, "changed", current_version=4), PreconditionFailed, "Someone else changed"),
        (problem(413, "The request body is larger than 65536 bytes."), ValidationFailed, "too long"),
        (problem(422, "purpose: String should have at most 2000 characters"), ValidationFailed, "Purpose: "),
        (problem(400, "The request body is not valid JSON."), ValidationFailed, "not valid JSON"),
        (httpx.Response(429, headers={"Retry-After": "7"}), RateLimited, "try again in 7 seconds"),
        (httpx.Response(500, text="boom"), ServerUnavailable, "ran into a problem"),
        (httpx.Response(502, text="<html>Bad gateway</html>"), ServerUnavailable, "cannot be reached"),
        (httpx.Response(503, json=["not", "a", "problem"]), ServerUnavailable, "cannot be reached"),
        (httpx.Response(418, text="teapot"), ApiError, "Something went wrong"),
        (httpx.Response(200, text="<html>portal login</html>"), InvalidResponse, "does not understand"),
        (httpx.Response(200, json={**APPOINTMENT, "status": None}), InvalidResponse, "does not understand"),
    ],
)
def test_answers_map_to_errors(response: httpx.Response, kind: type[ApiError], message: str) -> None:
    error = call_me(response)
    assert type(error) is kind
    assert message in error.user_message
    if kind is not InvalidResponse:
        assert error.status == response.status_code


def test_precondition_failed_and_rate_limit_details() -> None:
    stale = call_me(problem(412, "The appointment has changed since you loaded it.", current_version=4))
    assert isinstance(stale, PreconditionFailed)
    assert stale.current_version == 4
    assert stale.problem["detail"] == "The appointment has changed since you loaded it."
    when = datetime.now(UTC) + timedelta(seconds=90)
    limited = call_me(httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)}))
    assert isinstance(limited, RateLimited)
    assert limited.retry_after is not None
    assert 80 <= limited.retry_after <= 91


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (httpx.ConnectError("refused"), "The server cannot be reached."),
        (httpx.ConnectTimeout("slow"), "did not answer in time"),
        (httpx.ReadTimeout("slow"), "did not answer in time"),
        (httpx.RemoteProtocolError("closed"), "The server cannot be reached."),
    ],
)
def test_network_failures_are_server_unavailable(exc: Exception, message: str) -> None:
    error = call_me(raising(exc))
    assert isinstance(error, ServerUnavailable)
    assert error.status is None
    assert message in error.user_message
    assert isinstance(error.__cause__, httpx.HTTPError)  # kept for the log, never raised


def test_concurrent_refresh_happens_once() -> None:
    fake, recorder = FakeServer(), Recorder()
    fake.refresh_delay = 0.05

    async def scenario() -> None:
        async with await signed_in(fake, recorder) as client:
            fake.expire_access()
            users = await asyncio.gather(*(client.me() for _ in range(10)))
            assert {u.id for u in users} == {1}

    run(scenario())
    assert fake.refreshes == 1
    assert recorder.tokens == ["apd_rt_1", "apd_rt_2"]


def test_cancelled_caller_does_not_abandon_a_refresh() -> None:
    """A refresh the server may already have spent is finished and shared, never sent twice."""
    fake, recorder = FakeServer(), Recorder()
    fake.refresh_delay = 0.1

    async def scenario() -> None:
        async with await signed_in(fake, recorder) as client:
            fake.expire_access()
            first = asyncio.ensure_future(client.me())
            await asyncio.sleep(0.03)  # the refresh is on the wire
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
            assert (await client.me()).id == 1

    run(scenario())
    assert fake.refreshes == 1
    assert recorder.ended == 0


def test_unreachable_refresh_keeps_the_sign_in() -> None:
    fake, recorder = FakeServer(), Recorder()

    async def scenario() -> None:
        async with await signed_in(fake, recorder) as client:
            fake.expire_access()
            fake.refresh_answer = httpx.Response(503)
            with pytest.raises(ServerUnavailable):
                await client.me()
            assert client.is_signed_in
            fake.refresh_answer = None
            assert (await client.me()).id == 1  # the same refresh token still works later

    run(scenario())
    assert recorder.ended == 0
    assert fake.refreshes == 2


def test_refused_refresh_ends_the_session_once() -> None:
    fake, recorder = FakeServer(), Recorder()

    async def scenario() -> None:
        async with await signed_in(fake, recorder) as client:
            fake.expire_access()
            fake.refresh_answer = problem(401, "The sign-in has expired or was ended; sign in again.")
            results = await asyncio.gather(*(client.me() for _ in range(5)), return_exceptions=True)
            assert all(isinstance(r, Unauthorized) for r in results)
            assert not client.is_signed_in

    run(scenario())
    assert recorder.ended == 1
    assert recorder.tokens == ["apd_rt_1", None]
    assert fake.refreshes == 1


def test_failing_callbacks_do_not_break_the_client() -> None:
    fake = FakeServer()

    def broken(*_args: object) -> None:
        raise RuntimeError("keyring locked")

    async def scenario() -> None:
        client = client_for(fake)
        client.on_tokens_changed = broken
        async with client:
            await client.login("rita@x.org", "pw")
            fake.expire_access()
            assert (await client.me()).id == 1

    run(scenario())


def test_base_url_gets_the_api_prefix_once() -> None:
    fake = FakeServer()

    async def scenario() -> None:
        for base in ("http://fake.invalid", "http://fake.invalid/", "http://fake.invalid/api/v1/"):
            async with ApiClient(base, transport=httpx.MockTransport(fake)) as client:
                await client.login("rita@x.org", "pw")
                assert client.base_url == "http://fake.invalid/api/v1"

    run(scenario())
    assert {str(r.url) for r in fake.seen} == {"http://fake.invalid/api/v1/auth/login"}


def test_requests_carry_if_match_and_no_body_without_reason() -> None:
    fake = FakeServer()
    fake.overrides["/appointments/51/cancel"] = answering(httpx.Response(200, json=APPOINTMENT))
    fake.overrides["/appointments/51"] = answering(httpx.Response(200, json=APPOINTMENT))

    async def scenario() -> None:
        async with await signed_in(fake) as client:
            appointment = await client.appointment(51)
            await client.cancel(appointment)
            await client.cancel(51, "  ")
            await client.cancel(51, "Ill", if_match=7)
            with pytest.raises(ValueError, match="version"):
                await client.update_appointment(51, purpose="x")
            with pytest.raises(ValueError, match="at least one"):
                await client.update_appointment(appointment)

    run(scenario())
    cancels = [r for r in fake.seen if r.url.path.endswith("/cancel")]
    assert [r.headers.get("If-Match") for r in cancels] == ['"1"', None, '"7"']
    assert [r.content for r in cancels] == [b"", b"", b'{"reason":"Ill"}']


def test_a_repeated_cursor_stops_paging() -> None:
    fake = FakeServer()
    fake.overrides["/cases"] = answering(httpx.Response(200, json={"items": [], "next_cursor": "same"}))

    async def scenario() -> None:
        async with await signed_in(fake) as client:
            with pytest.raises(InvalidResponse, match="repeated"):
                await client.all_cases()

    run(scenario())
