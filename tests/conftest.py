"""Fixtures: a fresh database per test (SQLite always, PostgreSQL when configured) and a real server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from apptdesk.server.app import create_app
from apptdesk.server.embedded import ServerThread
from tests.support.api import Api, MutableClock
from tests.support.databases import PG_ENV, PostgresDatabases, SqliteDatabases, cheap_settings

PG_SKIP = f"PostgreSQL suite skipped: set {PG_ENV}=postgresql://user@host:port/db to run it"


@pytest.fixture(scope="session", autouse=True)
def scratch_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Nothing a test runs (mail outbox, logs, config, the embedded database) touches the real home."""
    home = tmp_path_factory.mktemp("home")
    previous = os.environ.get("APPTDESK_HOME")
    os.environ["APPTDESK_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("APPTDESK_HOME", None)
    else:
        os.environ["APPTDESK_HOME"] = previous


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> SqliteDatabases:
    return SqliteDatabases(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgresql_databases() -> Iterator[PostgresDatabases]:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(PG_SKIP)
    databases = PostgresDatabases(url)
    yield databases
    databases.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database holding the test world, fresh for this test."""
    databases = request.getfixturevalue(f"{request.param}_databases")
    url = databases.new(tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock()


@pytest.fixture
def server(database_url: str, clock: MutableClock) -> Iterator[ServerThread]:
    app = create_app(cheap_settings(database_url), clock=clock, sweeper=False)
    thread = ServerThread(app).start()
    yield thread
    thread.stop()


@pytest.fixture
def api(server: ServerThread, clock: MutableClock) -> Iterator[Api]:
    client = Api(server.url, clock)
    yield client
    client.close()
