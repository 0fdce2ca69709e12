"""A fresh database per test: migrated and seeded once as a template, then copied.

SQLite: the template file is copied. PostgreSQL: ``CREATE DATABASE ... TEMPLATE``, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from apptdesk.server.db import migrate
from apptdesk.server.db.engine import Database
from apptdesk.server.services.directory import import_directory
from apptdesk.server.settings import Settings
from apptdesk.server.state import passwords_for
from tests.support import world

T = TypeVar("T")
PG_ENV = "APPTDESK_TEST_DATABASE_URL"


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a private loop, whatever loop the calling thread has."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, factory()).result()  # type: ignore[arg-type]


def cheap_settings(url: str) -> Settings:
    # Cheap Argon2 keeps the suite fast; the parameters travel inside each hash, so login still verifies.
    return Settings(
        database_url=url,
        argon2_time_cost=1,
        argon2_memory_kib=8,
        argon2_parallelism=1,
        sweep_interval_seconds=3600,
    )


def prepare(url: str) -> None:
    migrate.upgrade(url)

    async def seed() -> None:
        db = Database.connect(url)
        try:
            async with db.write() as session:
                hasher = passwords_for(cheap_settings(url)).hash
                await import_directory(session, hasher, world.document(), datetime.now(UTC))
                await session.commit()
        finally:
            await db.dispose()

    run_async(seed)


class SqliteDatabases:
    def __init__(self, folder: Path) -> None:
        self.template = folder / "template.sqlite3"
        prepare(f"sqlite:///{self.template}")

    def new(self, folder: Path) -> str:
        target = folder / "apptdesk.sqlite3"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        pass


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


class PostgresDatabases:
    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.template_name = f"apptdesk_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self._admin(
            f'DROP DATABASE IF EXISTS "{self.template_name}"', f'CREATE DATABASE "{self.template_name}"'
        )
        prepare(_with_database(admin_url, self.template_name))

    def _admin(self, *statements: str) -> None:
        async def run() -> None:
            conn = await asyncpg.connect(_asyncpg_dsn(self.admin_url))
            try:
                for statement in statements:
                    await conn.execute(statement)
            finally:
                await conn.close()

        run_async(run)

    def new(self, _folder: Path) -> str:
        name = f"apptdesk_t_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_name}"')
        return _with_database(self.admin_url, name)

    def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)')


def fetch(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    """The rows of one SQL query against the database at ``url``: for tests that look behind the API."""
    return fetch_each(url, sql, **params)[0]


def fetch_each(url: str, *statements: str, **params: object) -> list[list[tuple[object, ...]]]:
    """The rows of each query, read in one transaction over one connection."""
    from sqlalchemy import text

    async def run() -> list[list[tuple[object, ...]]]:
        db = Database.connect(url)
        try:
            async with db.read() as session:
                return [
                    [tuple(row) for row in await session.execute(text(sql), params)] for sql in statements
                ]
        finally:
            await db.dispose()

    return run_async(run)


@pytest.fixture
def sqlite_database_url(sqlite_databases: SqliteDatabases, tmp_path: Path) -> str:
    """A fresh SQLite database with the test world: for suites that test the client, not the storage."""
    return sqlite_databases.new(tmp_path)
