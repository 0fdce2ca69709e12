"""Engine and sessions. Created per application (in its lifespan), never at import time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

_WRITE_OPTION = "apptdesk_write"
FOLD = "apptdesk_fold"


def _fold(value: object) -> object:
    # lower(), not casefold(): the same answers as PostgreSQL's ILIKE ("ß" stays "ß").
    return value.lower() if isinstance(value, str) else value


def async_url(url: str) -> str:
    """Map ``sqlite:///PATH`` and ``postgresql://...`` onto the async drivers."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {url!r}")
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"unsupported database {base!r}: use sqlite:///PATH or postgresql://...")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    engine = create_async_engine(async_url(url), **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below), so the driver must not.
        dbapi_connection.isolation_level = None
        # SQLite's LIKE and lower() fold only ASCII; free-text search needs "Müller" to find "MÜLLER".
        dbapi_connection.create_function(FOLD, 1, _fold, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Without statistics SQLite picks the status index for multi-status lists and sorts a million
        # rows (about a second); with them it walks (start, id). ANALYZE takes ~0.4 s at 1M rows.
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            cursor.execute("ANALYZE")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writing transaction takes the write lock up front: a deferred one that read first could
        # fail to upgrade (SQLITE_BUSY without waiting) when another writer got in between.
        write = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    read: async_sessionmaker[AsyncSession]
    write: async_sessionmaker[AsyncSession]

    @classmethod
    def connect(cls, url: str, after_commit: Callable[[Session], None] | None = None) -> Database:
        """``after_commit`` runs after every committed write transaction (to wake whoever waits)."""
        engine = create_engine(url, pool_pre_ping=True)
        writer = engine.execution_options(**{_WRITE_OPTION: True})
        session_class = type("WriteSession", (Session,), {})  # a class of our own: the hook is ours alone
        if after_commit is not None:
            event.listen(session_class, "after_commit", after_commit)
        return cls(
            engine=engine,
            read=async_sessionmaker(engine, expire_on_commit=False),
            write=async_sessionmaker(writer, expire_on_commit=False, sync_session_class=session_class),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def optimize(self) -> None:
        """Refresh the query planner's statistics (SQLite; PostgreSQL's autovacuum does its own)."""
        if self.is_sqlite:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("ANALYZE")

    async def dispose(self) -> None:
        await self.engine.dispose()
