"""The local server the desktop app starts when no server is configured: SQLite in the user data dir.

Blocking (migrations, first-run demo data, binding the port): the app calls ``start`` in a worker
thread while its window already shows "Starting…".
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from apptdesk.paths import Paths
from apptdesk.server.app import create_app
from apptdesk.server.db import migrate
from apptdesk.server.db.engine import Database
from apptdesk.server.demo import DEMO_PASSWORD, demo_document, seed
from apptdesk.server.embedded import ServerThread
from apptdesk.server.settings import Settings
from apptdesk.server.state import passwords_for, system_clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: str
    password: str


def demo_accounts() -> list[DemoAccount]:
    return [DemoAccount(u["email"], u["name"], u["role"], DEMO_PASSWORD) for u in demo_document()["users"]]


class EmbeddedServer:
    def __init__(self, database: Path | None = None, settings: Settings | None = None) -> None:
        self.database = database or Paths.default().ensure().default_database
        base = settings or Settings()
        self.settings = base.model_copy(update={"database_url": f"sqlite:///{self.database}"})
        self._thread: ServerThread | None = None

    @property
    def url(self) -> str:
        if self._thread is None:
            raise RuntimeError("the embedded server is not running")
        return self._thread.url

    def start(self) -> str:
        """Migrate, seed demo data on first run, serve on 127.0.0.1:<free port>; returns the URL."""
        url = self.settings.database_url
        migrate.upgrade(url)

        async def seed_once() -> None:
            db = Database.connect(url)
            try:
                report = await seed(db, passwords_for(self.settings).hash, system_clock())
                if report is not None:
                    log.info("seeded demo data into the local database", extra={"path": str(self.database)})
            finally:
                await db.dispose()

        # Our own plain loop: this runs in a worker thread of the Qt app, whose policy would give a Qt loop.
        with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
            runner.run(seed_once())
        self._thread = ServerThread(create_app(self.settings)).start()
        log.info("embedded server running", extra={"url": self._thread.url})
        return self._thread.url

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
