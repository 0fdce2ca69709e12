"""Wake-ups for live streams and the mailer when a change has committed.

The event log in the database is the truth; this only says "look again". In one process the commit
hook wakes everyone; with several processes on one PostgreSQL database, LISTEN/NOTIFY carries the
wake-up to the others (on SQLite one process is enough).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Iterable
from typing import Any

from apptdesk.server.db.engine import async_url

log = logging.getLogger(__name__)

# Sent with each NOTIFY: a process skips its own (its commit hook already woke its streams).
PROCESS_TOKEN = secrets.token_hex(6)


def notify_payload(user_ids: Iterable[int]) -> str:
    return PROCESS_TOKEN + ":" + ",".join(str(user_id) for user_id in sorted(set(user_ids)))


class EventHub:
    """Per-user wake-ups: a commit wakes only the streams of the people it concerns (with 50 open
    windows, waking all of them for every change cost ~100 database reads per change), plus the mailer."""

    def __init__(self) -> None:
        self._users: dict[int, asyncio.Event] = {}
        self._mail = asyncio.Event()
        self.closed = False  # the server is stopping: streams end so shutdown need not wait for them

    def waiter(self, user_id: int) -> asyncio.Event:
        """Take this before reading the event log: a commit for this user from now on sets it."""
        return self._users.setdefault(user_id, asyncio.Event())

    def mail_waiter(self) -> asyncio.Event:
        return self._mail

    def publish(self, user_ids: Iterable[int] | None = None) -> None:
        """Wake the streams of ``user_ids`` (None: everyone) and the mailer."""
        for user_id in list(self._users) if user_ids is None else set(user_ids):
            event = self._users.pop(user_id, None)
            if event is not None:
                event.set()
        mail, self._mail = self._mail, asyncio.Event()
        mail.set()

    def close(self) -> None:
        self.closed = True
        self.publish()


class PostgresListener:
    """Hold one connection that LISTENs on ``channel`` and publishes to the hub on every NOTIFY."""

    def __init__(self, url: str, channel: str, hub: EventHub) -> None:
        self.url = async_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)
        self.channel = channel
        self.hub = hub
        self._connection: Any = None

    async def run_forever(self) -> None:
        import asyncpg

        while True:
            try:
                closed = asyncio.Event()
                self._connection = await asyncpg.connect(self.url)
                self._connection.add_termination_listener(lambda *_, ended=closed: ended.set())
                await self._connection.add_listener(self.channel, self._notified)
                self.hub.publish()  # anything committed while we were not listening
                await closed.wait()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("LISTEN connection lost; reconnecting", exc_info=True)
                await asyncio.sleep(2)
            finally:
                await self.close()

    def _notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        sender, _, users = payload.partition(":")
        if sender == PROCESS_TOKEN:
            return
        ids = [int(part) for part in users.split(",") if part.strip().isdigit()]
        self.hub.publish(ids or None)

    async def close(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            with contextlib.suppress(Exception):
                await self._connection.close()
        self._connection = None
