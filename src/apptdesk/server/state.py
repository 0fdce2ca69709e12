"""What one running server holds: settings, database, hasher, throttle and the clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from apptdesk.server.db.engine import Database
from apptdesk.server.security.passwords import Passwords
from apptdesk.server.security.throttle import LoginThrottle
from apptdesk.server.services.hub import EventHub
from apptdesk.server.services.notify import ANNOUNCED
from apptdesk.server.settings import Settings

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServerState:
    settings: Settings
    db: Database
    passwords: Passwords
    throttle: LoginThrottle
    hub: EventHub
    clock: Clock = system_clock
    loop: asyncio.AbstractEventLoop | None = None  # the loop serving requests, once started

    @classmethod
    def build(cls, settings: Settings, clock: Clock = system_clock) -> ServerState:
        hub = EventHub()

        def committed(session: Session) -> None:
            users = session.info.pop(ANNOUNCED, None)
            if users:
                hub.publish(users)

        return cls(
            settings=settings,
            db=Database.connect(settings.resolved_database_url(), after_commit=committed),
            hub=hub,
            passwords=passwords_for(settings),
            throttle=LoginThrottle(
                max_per_account=settings.login_max_failures_per_account,
                max_per_client=settings.login_max_failures_per_client,
                window_seconds=settings.login_failure_window_seconds,
            ),
            clock=clock,
        )

    def stop_streams(self) -> None:
        """From any thread: end the live streams, so a shutdown does not wait out their pings."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.hub.close)

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)


def passwords_for(settings: Settings) -> Passwords:
    return Passwords(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)
