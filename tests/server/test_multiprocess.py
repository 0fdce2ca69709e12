"""Two separate server processes on one PostgreSQL database: live events and mail cross between them.

PostgreSQL only (SQLite is served by one process). Each server is a real ``apptdesk-server run``
subprocess, stopped in ``finally`` whatever happens.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.server.smtp_sink import SmtpSink, free_port
from tests.server.sse_reader import Event, open_stream
from tests.support import world
from tests.support.api import Api, MutableClock
from tests.support.databases import PostgresDatabases, fetch

pytestmark = pytest.mark.postgres

STARTUP_SECONDS = 60


@pytest.fixture
def pg_url(postgresql_databases: PostgresDatabases, tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL database with the test world (skipped, saying why, without PostgreSQL)."""
    url = postgresql_databases.new(tmp_path)
    yield url
    postgresql_databases.drop(url)


class ServerProcess:
    def __init__(self, name: str, database_url: str, folder: Path, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        home = folder / f"home-{name}"
        home.mkdir()
        self.log_path = folder / f"server-{name}.log"
        environment = {
            **os.environ,
            "APPTDESK_HOME": str(home),
            "APPTDESK_ARGON2_TIME_COST": "1",
            "APPTDESK_ARGON2_MEMORY_KIB": "8",
            "APPTDESK_ARGON2_PARALLELISM": "1",
            "APPTDESK_EVENT_PING_SECONDS": "1",
            **env,
        }
        command = [sys.executable, "-m", "apptdesk.server.cli", "--database-url", database_url]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [*command, "run", "--port", str(self.port)],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_ready(self, deadline: float) -> None:
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"server {self.name} exited ({self.process.returncode}):\n{self.log()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"server {self.name} did not start in time:\n{self.log()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@contextmanager
def two_servers(database_url: str, folder: Path, **env: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    servers: list[ServerProcess] = []
    try:
        for name in ("a", "b"):
            servers.append(ServerProcess(name, database_url, folder, env))
        deadline = time.monotonic() + STARTUP_SECONDS
        for server in servers:
            server.wait_ready(deadline)
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


def auth(api: Api, who: str) -> str:
    return str(api.client(who).headers["Authorization"])


def test_an_action_through_one_process_reaches_a_stream_held_by_the_other(
    pg_url: str, tmp_path: Path
) -> None:
    # Pings every 30 s: a stream that saw the event in time was woken by NOTIFY, not by its next look.
    with two_servers(pg_url, tmp_path, APPTDESK_EVENT_PING_SECONDS="30") as (a, b), ExitStack() as stack:
        via_a, via_b = Api(a.url, MutableClock()), Api(b.url, MutableClock())
        stack.callback(via_a.close)
        stack.callback(via_b.close)
        p1_on_b = stack.enter_context(open_stream(b.url, auth(via_b, "p1"), read_timeout=40))
        r1_on_a = stack.enter_context(open_stream(a.url, auth(via_a, "r1"), read_timeout=40))
        outsider_on_b = stack.enter_context(open_stream(b.url, auth(via_b, "r2"), read_timeout=40))

        latencies: list[float] = []
        for round_ in range(3):
            began = time.monotonic()
            created = via_a.create("r1", start=via_a.future(days=1 + round_))
            seen = p1_on_b.read_count(2 * (round_ + 1), timeout=5)[-2:]
            latencies.append(time.monotonic() - began)
            assert sorted(e.type for e in seen) == ["appointment.created", "notification.created"]
            assert {(e.data["appointment_id"], e.data["case_id"]) for e in seen} == {(created["id"], "C-1")}

        # And the other way: p1 answers through B; r1's stream on A hears it.
        began = time.monotonic()
        assert via_b.act("p1", created["id"], "accept").status_code == 200
        answered = r1_on_a.read_until(
            lambda events: any(e.type == "notification.created" for e in events), timeout=5
        )
        latencies.append(time.monotonic() - began)
        notice = next(e for e in answered if e.type == "notification.created")
        assert (notice.data["kind"], notice.data["appointment_id"]) == ("accepted", created["id"])
        assert max(latencies) < 2, latencies

        # The same events, replayed from the database by the other process.
        first: Event = p1_on_b.events[0]
        with open_stream(a.url, auth(via_a, "p1"), last_event_id=str(first.id - 1), read_timeout=40) as again:
            again.read_count(len(p1_on_b.events) + 1, timeout=5)  # + p1's own accept
            assert [e.id for e in again.events[:-1]] == [e.id for e in p1_on_b.events]

        # r2's stream on B heard none of it: the first thing it hears is r2's own change, made through A.
        own = via_a.create("r2", "C-2")
        heard = outsider_on_b.read_count(1, timeout=5)
        assert (heard[0].data["appointment_id"], heard[0].data["case_id"]) == (own["id"], "C-2")


def test_each_mail_is_sent_once_with_both_processes_dispatching(pg_url: str, tmp_path: Path) -> None:
    sink = SmtpSink().start()
    env = {
        "APPTDESK_SMTP_URL": sink.url,
        "APPTDESK_MAIL_POLL_SECONDS": "0.1",
        "APPTDESK_MAIL_RETRY_MAX_SECONDS": "0.3",
    }
    try:
        with two_servers(pg_url, tmp_path, **env) as (a, b):
            via = [Api(a.url, MutableClock()), Api(b.url, MutableClock())]
            try:
                # Mail while both dispatchers are awake: each change wakes both.
                for i in range(8):
                    via[i % 2].create("r1" if i % 4 < 2 else "p1", start=via[0].future(days=1 + i))
                sink.wait_for(8)

                # A backlog both race for when the mail server comes back.
                sink.stop()
                for i in range(12):
                    via[i % 2].create("p1" if i % 3 else "r1", start=via[0].future(days=10 + i))

                def tried() -> bool:
                    rows = fetch(pg_url, "SELECT attempts FROM mail_outbox WHERE sent_at IS NULL")
                    return len(rows) == 12 and all(int(str(n)) >= 2 for (n,) in rows)

                sink.wait_until(tried, what="the backlog to be tried twice")
                sink.start()
                sink.wait_for(20)

                def all_sent() -> bool:
                    return not fetch(pg_url, "SELECT id FROM mail_outbox WHERE sent_at IS NULL")

                sink.wait_until(all_sent, what="every mail to be marked sent")
                time.sleep(1.5)  # many more rounds of both dispatchers
            finally:
                for api in via:
                    api.close()
    finally:
        sink.stop()

    rows = fetch(pg_url, "SELECT message_id, recipient FROM mail_outbox ORDER BY id")
    mails = sink.mails()
    assert len(rows) == 20
    assert len(mails) == 20, [m.message_id for m in mails]
    assert sorted(m.message_id for m in mails) == sorted(str(r[0]) for r in rows)
    assert sorted(m.recipients[0] for m in mails) == sorted(str(r[1]) for r in rows)
    assert {m.recipients[0] for m in mails} == {world.email("r1"), world.email("p1")}
