"""The live stream: the signed-in user's events (``GET /events``, Server-Sent Events), held open for good.

One ``EventStream`` per sign-in. It talks over the ``ApiClient``'s one ``httpx.AsyncClient`` with the
client's current access token, and:

- reconnects forever after any network failure, with exponential backoff and jitter (0.5 s doubling up
  to 30 s; back to the start after a connection that stayed up ``healthy_after`` seconds);
- sends ``Last-Event-ID`` of the last event it delivered, and drops any event at or below it, so a
  reconnect delivers exactly the events missed, once each, in order;
- reads with a timeout of about three server pings (``read_timeout``, 45 s) so a dead connection is
  noticed;
- when the server ends the stream (it does so when the access token expires), reconnects at once; the
  401 that follows is answered by the ``ApiClient``'s own silent refresh;
- stops for good, without raising, when the sign-in has ended (``on_session_ended`` of the
  ``ApiClient`` has fired), when the user signed out or in as someone else, or when the ``ApiClient``
  was closed;
- reports every change of its connection state to ``on_state`` (a ``LiveStatus``), e.g. for a "live
  updates paused" note.

Use it either way; both stop cleanly (closing the response) when their task is cancelled::

    stream = EventStream(api, on_state=show_state)
    task = asyncio.ensure_future(stream.run(on_event))  # returns when the stream stops for good
    ...
    task.cancel()                                        # stop: sign-out, window closed

    async with EventStream(api) as stream:               # or iterate; leaving the block closes it
        async for event in stream:
            ...

Never imports Qt; callbacks are plain callables called on the event loop's thread.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import random
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Final

import httpx
from httpx_sse import EventSource, ServerSentEvent

from apptdesk.api.client import ApiClient
from apptdesk.api.errors import (
    ApiError,
    InvalidResponse,
    RateLimited,
    ServerUnavailable,
    Unauthorized,
    error_from_transport,
)
from apptdesk.api.types import LiveEvent, parse_live_event

__all__ = ["EVENTS_PATH", "EventStream", "LiveState", "LiveStatus"]

log = logging.getLogger(__name__)

EVENTS_PATH: Final = "/events"
_CONNECT_TIMEOUT: Final = 10.0


class LiveState(StrEnum):
    CONNECTING = "connecting"  # the first connection is being made
    CONNECTED = "connected"  # events flow
    RECONNECTING = "reconnecting"  # the connection failed or broke; the next attempt is due in retry_in
    STOPPED = "stopped"  # for good: the sign-in ended, the user signed out, or the stream was closed


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """The stream's connection state, as reported to ``on_state``.

    - ``error``: why it is RECONNECTING (``ServerUnavailable`` for network trouble, a read timeout or a
      server that closed the stream too soon; another ``ApiError`` for an unexpected answer), or why
      it STOPPED (``Unauthorized`` when the sign-in ended or the user signed out; None when closed or
      cancelled). ``error.user_message`` is fit to show.
    - ``retry_in``: seconds until the next attempt (RECONNECTING only).
    - ``attempt``: how many attempts in a row have failed (RECONNECTING only).
    - ``resumed`` (CONNECTED only): True when the server replays from the last event delivered, so
      nothing was missed. False when the stream starts from "now" without a known position, as on the
      very first connection without ``last_event_id``: what happened before may be missed, so a view
      should load (or reload) its data after this.
    """

    state: LiveState
    error: ApiError | None = None
    retry_in: float | None = None
    attempt: int = 0
    resumed: bool = False

    @property
    def is_live(self) -> bool:
        return self.state is LiveState.CONNECTED


class _Stop(Exception):
    """Leave the connection loop for good, reporting STOPPED with ``error``."""

    def __init__(self, error: ApiError | None) -> None:
        super().__init__(error)
        self.error = error


class EventStream:
    """The signed-in user's live events, reconnecting forever. One use, one sign-in.

    ``last_event_id``: resume after this event (e.g. one kept from an earlier stream of the same
    sign-in); None starts from now. ``on_state(status)`` hears every ``LiveStatus`` change; an exception
    in it is logged, not raised. ``read_timeout`` should be about three server pings. Backoff: the
    n-th failure in a row waits a random time between half and all of
    ``min(backoff_max, backoff_initial * 2**(n-1))`` (at least a 429's Retry-After); a connection that
    stayed up ``healthy_after`` seconds starts the count again.

    Iterate it (``async for``) or call ``run``; only one consumer at a time. The iteration ends, and
    ``run`` returns, only when the stream STOPPED for good (see ``LiveState``); network failures are
    never raised. To stop it, cancel the task that runs or iterates it; ``aclose()`` (or leaving
    ``async with``) is for that task itself, or for after it ended. Either way the response is closed
    and STOPPED reported. One use: after a new sign-in start a new ``EventStream`` (passing this one's
    ``last_event_id`` only if it is the same user); the stream stops by itself when it finds the
    ``ApiClient`` signed out or signed in as someone else.

    ``on_state`` is not called for the initial CONNECTING (read ``status``). A CONNECTED status with
    ``resumed`` False means events may have been missed (the first connection, or a reconnect before
    any event told the stream its position): load or reload what the views show after it.
    """

    def __init__(
        self,
        api: ApiClient,
        last_event_id: int | None = None,
        *,
        on_state: Callable[[LiveStatus], object] | None = None,
        read_timeout: float = 45.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        healthy_after: float = 10.0,
    ) -> None:
        if last_event_id is not None and last_event_id < 0:
            raise ValueError("last_event_id must not be negative")
        if read_timeout <= 0 or backoff_initial <= 0 or backoff_max < backoff_initial or healthy_after < 0:
            raise ValueError("timeouts and delays must be positive, backoff_max at least backoff_initial")
        self.api = api
        self.on_state = on_state
        self.read_timeout = read_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.healthy_after = healthy_after
        self._last_event_id = last_event_id
        self._user_id = api.user.id if api.user is not None else None
        self._status = LiveStatus(LiveState.CONNECTING)
        self._events: AsyncGenerator[LiveEvent, None] | None = None
        self._closed = False

    # --- state ----------------------------------------------------------------------------------

    @property
    def last_event_id(self) -> int | None:
        """The id of the last event delivered (or the one given at the start): where a reconnect resumes."""
        return self._last_event_id

    @property
    def status(self) -> LiveStatus:
        """The current connection state (CONNECTING until the iteration has started and connected)."""
        return self._status

    @property
    def is_stopped(self) -> bool:
        return self._status.state is LiveState.STOPPED

    def _report(self, status: LiveStatus) -> None:
        # Each status is told once, except a fresh start: every one may have missed events.
        if status == self._status and not (status.is_live and not status.resumed):
            return
        self._status = status
        if status.state is LiveState.RECONNECTING:
            log.info(
                "live stream: reconnecting in %.1f s (attempt %d): %s",
                status.retry_in or 0.0,
                status.attempt,
                status.error,
            )
        else:
            log.info("live stream: %s", status.state.value)
        if self.on_state is not None:
            try:
                self.on_state(status)
            except Exception:
                log.exception("on_state failed")

    # --- consuming ------------------------------------------------------------------------------

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> LiveEvent:
        if self._events is None:
            if self._closed:
                raise StopAsyncIteration
            self._events = self._run()
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop for good and close the connection (reports STOPPED). Safe to call more than once."""
        self._closed = True
        if self._events is not None:
            await self._events.aclose()
        if not self.is_stopped:
            self._report(LiveStatus(LiveState.STOPPED))

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def run(self, on_event: Callable[[LiveEvent], object | Awaitable[object]]) -> None:
        """Call ``on_event(event)`` for every event until the stream stops for good, then return.

        ``on_event`` may be a plain function or return an awaitable (awaited before the next event);
        an exception from it is logged and the stream goes on. Cancel the task running this to stop;
        the connection is closed either way.
        """
        try:
            async for event in self:
                try:
                    result = on_event(event)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("on_event failed for event %d (%s)", event.id, event.type)
        finally:
            await self.aclose()

    # --- the connection loop --------------------------------------------------------------------

    async def _run(self) -> AsyncGenerator[LiveEvent, None]:
        failures = 0
        stop_error: ApiError | None = None
        try:
            while True:
                self._check_still_wanted()
                connected_at: float | None = None
                error: ApiError | None = None
                try:
                    async with self.api._open_stream(
                        EVENTS_PATH, headers=self._headers(), timeouts=self._timeouts()
                    ) as response:
                        _check_content_type(response)
                        connected_at = time.monotonic()
                        if self._user_id is None and self.api.user is not None:
                            self._user_id = self.api.user.id
                        resumed = self._last_event_id is not None
                        self._report(LiveStatus(LiveState.CONNECTED, resumed=resumed))
                        async for message in EventSource(response).aiter_sse():
                            event = self._accept(message)
                            if event is not None:
                                self._last_event_id = event.id
                                yield event
                except Unauthorized as exc:
                    raise _Stop(exc) from None
                except ApiError as exc:
                    error = exc
                except httpx.HTTPError as exc:
                    error = error_from_transport(exc)
                except Exception as exc:
                    self._check_still_wanted()  # e.g. the ApiClient was closed under us
                    log.exception("live stream: unexpected failure")
                    error = InvalidResponse(None, "Live updates failed", f"{type(exc).__name__}: {exc}")
                self._check_still_wanted()  # signed out or closed meanwhile: stop, do not retry

                healthy = connected_at is not None and time.monotonic() - connected_at >= self.healthy_after
                if healthy:
                    failures = 0
                    if error is None:
                        continue  # the server ended a good stream (its token expired): go on at once
                if error is None:
                    error = ServerUnavailable(
                        None,
                        "Stream ended",
                        "the server closed the live stream",
                        user_message="The server closed the connection for live updates.",
                    )
                failures += 1
                delay = self._delay(failures, error)
                status = LiveStatus(LiveState.RECONNECTING, error=error, retry_in=delay, attempt=failures)
                self._report(status)
                await asyncio.sleep(delay)
        except _Stop as stop:
            stop_error = stop.error
        finally:
            self._closed = True
            self._report(LiveStatus(LiveState.STOPPED, error=stop_error))

    def _check_still_wanted(self) -> None:
        """Raise ``_Stop`` unless the ApiClient is open and still signed in as the same user."""
        if self.api.is_closed:
            raise _Stop(None)
        user = self.api.user
        if not self.api.is_signed_in or user is None:
            raise _Stop(Unauthorized(None, "Not signed in", "signed out", user_message="Please sign in."))
        if self._user_id is not None and user.id != self._user_id:
            raise _Stop(Unauthorized(None, "Signed in again", "another user signed in"))

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        if self._last_event_id is not None:
            headers["Last-Event-ID"] = str(self._last_event_id)
        return headers

    def _timeouts(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=_CONNECT_TIMEOUT, read=self.read_timeout, write=_CONNECT_TIMEOUT, pool=_CONNECT_TIMEOUT
        )

    def _delay(self, failures: int, error: ApiError) -> float:
        base = min(self.backoff_max, self.backoff_initial * 2 ** min(failures - 1, 62))
        delay = random.uniform(base / 2, base)
        if isinstance(error, RateLimited) and error.retry_after is not None:
            delay = max(delay, float(error.retry_after))
        return delay

    def _accept(self, message: ServerSentEvent) -> LiveEvent | None:
        """The event to deliver for one SSE message, or None (not an event, or one already delivered)."""
        if not message.id.isascii() or not message.id.isdigit():
            if message.id or message.data:
                log.warning("live stream: ignored a message without a usable id (%s)", message.event)
            return None  # e.g. the retry: line
        event_id = int(message.id)
        if self._last_event_id is not None and event_id <= self._last_event_id:
            return None  # delivered already (or the position marker of a replay)
        if message.event == "message" and not message.data:
            # An id without an event: the server telling the stream's position. Resume after it.
            self._last_event_id = event_id
            return None
        try:
            return parse_live_event(event_id, message.event, json.loads(message.data))
        except (ValueError, ApiError) as exc:
            # Skipped, and not asked for again: replaying it after a reconnect would fail the same way.
            log.warning("live stream: skipped event %d (%s): %s", event_id, message.event, exc)
            self._last_event_id = event_id
            return None


def _check_content_type(response: httpx.Response) -> None:
    content_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != "text/event-stream":
        raise InvalidResponse(
            response.status_code,
            "Invalid response",
            f"the live stream answered with {content_type or 'no content type'}, not text/event-stream",
        )
