"""Reading the live stream (GET /events) in tests, always against a deadline.

The stream never ends on its own while the token is valid, so every read here is bounded: each line
waits at most the client's read timeout (the server pings well within it) and each call has its own
deadline. Events are parsed as the SSE spec says (a blank line dispatches only when there is data);
comment lines are counted as pings.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import EventSource, connect_sse

from tests.support.api import API


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    data: dict[str, Any]


class EventStream:
    def __init__(self, source: EventSource) -> None:
        self.response = source.response
        self._lines = self.response.iter_lines()
        self.events: list[Event] = []
        self.pings = 0
        self.retry: int | None = None
        self.ended = False
        self._id = ""
        self._type = ""
        self._data: list[str] = []

    def _step(self) -> None:
        try:
            line = next(self._lines)
        except StopIteration:
            self.ended = True
            return
        if line.startswith(":"):
            self.pings += 1
            return
        if not line:
            if self._data:
                data = json.loads("\n".join(self._data))
                self.events.append(Event(int(self._id), self._type or "message", data))
            self._type, self._data = "", []
            return
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "id":
            self._id = value
        elif field == "event":
            self._type = value
        elif field == "data":
            self._data.append(value)
        elif field == "retry":
            self.retry = int(value)

    def read_until(self, done: Callable[[list[Event]], bool], timeout: float = 10) -> list[Event]:
        """Read until ``done(events so far)``; fail if the stream ends or the deadline passes first."""
        deadline = time.monotonic() + timeout
        while not done(self.events):
            if self.ended:
                raise AssertionError(f"the stream ended early; events so far: {self.events}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s; events so far: {self.events}")
            self._step()
        return self.events

    def read_count(self, count: int, timeout: float = 10) -> list[Event]:
        return self.read_until(lambda events: len(events) >= count, timeout)

    def read_for(self, seconds: float) -> list[Event]:
        """Everything that arrives within ``seconds`` (the server's pings bound each wait)."""
        deadline = time.monotonic() + seconds
        while not self.ended and time.monotonic() < deadline:
            self._step()
        return self.events

    def wait_end(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not self.ended:
            if time.monotonic() > deadline:
                raise AssertionError(f"the stream did not end within {timeout} s")
            self._step()


@contextmanager
def open_stream(
    base_url: str,
    authorization: str,
    *,
    last_event_id: str | None = None,
    read_timeout: float = 5,
    params: dict[str, Any] | None = None,
) -> Iterator[EventStream]:
    """A live stream as the holder of ``authorization`` (the "Bearer ..." header value)."""
    headers = {"Authorization": authorization}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    timeout = httpx.Timeout(10, read=read_timeout)
    with (
        httpx.Client(base_url=base_url + API, timeout=timeout) as client,
        connect_sse(client, "GET", "/events", headers=headers, params=params) as source,
    ):
        response = source.response
        if response.status_code != 200:
            response.read()
            raise AssertionError(f"GET /events answered {response.status_code}: {response.text}")
        assert response.headers["content-type"].startswith("text/event-stream"), response.headers
        yield EventStream(source)
