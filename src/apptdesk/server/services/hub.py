"""Wake-ups for live streams and the mailer when a change has committed.

The event log in the database is the truth; this only says "look again". In one process the commit
hook wakes everyone; with several processes on one PostgreSQL database, LISTEN/NOTIFY carries the
wake-up to the others (on SQLite one process is enough).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from apptdesk.server.db.engine import async_url

log = logging.getLogger(__name__)


class EventHub:
    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.closed = False  # the server is stopping: streams end so shutdown need not wait for them

    def waiter(self) -> asyncio.Event:
        """Take this before reading the event log: a commit after that sets it, so none is missed."""
        return self._event

    def publish(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

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

    def _notified(self, *_args: object) -> None:
        self.hub.publish()

    async def close(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            with contextlib.suppress(Exception):
                await self._connection.close()
        self._connection = None
