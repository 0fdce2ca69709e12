"""Driving the async client from sync tests: ``asyncio.run`` per test, no pytest-asyncio."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any, TypeVar

from apptdesk.api import ApiClient, Session
from tests.support import world
from tests.support.api import MutableClock

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def sign_in(client: ApiClient, who: str) -> Session:
    return await client.login(world.email(who), world.PASSWORD)


def later(clock: MutableClock, **delta: float) -> datetime:
    """A whole-second time this far after the server's now (default: one day)."""
    return (clock() + (timedelta(**delta) if delta else timedelta(days=1))).replace(microsecond=0)


class Recorder:
    """Stands in for the application's callbacks."""

    def __init__(self) -> None:
        self.tokens: list[str | None] = []
        self.ended = 0

    def tokens_changed(self, token: str | None) -> None:
        self.tokens.append(token)

    def session_ended(self) -> None:
        self.ended += 1

    def attach(self, client: ApiClient) -> ApiClient:
        client.on_tokens_changed = self.tokens_changed
        client.on_session_ended = self.session_ended
        return client
