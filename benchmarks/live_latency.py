"""How fast a change reaches the other client's table (a benchmark, not a test).

A real server (``ServerThread`` on 127.0.0.1, a fresh migrated database) and, on one qasync loop with
Qt offscreen, the provider's desktop pieces: ``AppSession`` + ``Inbox`` + ``LiveUpdates`` feeding a
``CaseAppointmentsModel`` of case C-1 through ``appointmentChanged`` (``insert_sorted``, as the case
view does). The requester, on its own ``ApiClient``, creates, accepts, reschedules and cancels
appointments in C-1. For each call: the time from the call returning to the provider's model holding
that appointment at the new version. With N connected clients, the other N - 1 are plain
``EventStream`` sign-ins spread over the provider, the requester and people of other cases; those of
C-1's participants fetch each changed appointment, as an open window does.

Run (defaults: SQLite in a temporary folder, 1 and 50 clients, 50 rounds of 4 measured calls):

    .venv/bin/python -m benchmarks.live_latency [--clients N ...] [--database-url postgresql://...]
        [--rounds 50] [--gap 0.1] [--server-process]

``--server-process`` runs the server in a child process instead of a thread of this one, so the
clients' Python work does not share the server's GIL.

The database named by ``--database-url`` is migrated and seeded (idempotently); use an empty one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import qasync
from keyring.backends import fail
from PySide6.QtWidgets import QApplication

from apptdesk.api import ApiClient, Appointment
from apptdesk.api.live import EventStream
from apptdesk.api.types import LiveEvent
from apptdesk.models.appointments import CaseAppointmentsModel, by_start
from apptdesk.models.inbox import Inbox
from apptdesk.models.live import LiveUpdates
from apptdesk.models.session import AppSession
from apptdesk.models.unread import UnreadCounter
from apptdesk.server.app import create_app
from apptdesk.server.db import migrate
from apptdesk.server.db.engine import Database
from apptdesk.server.embedded import ServerThread
from apptdesk.server.services.directory import import_directory
from apptdesk.server.settings import Settings
from apptdesk.server.state import passwords_for
from tests.support.databases import cheap_settings, run_async

PASSWORD = "bench-password"
GROUPS = 4  # case C-g belongs to requester r<g> and provider p<g>; C-1 is the measured one
OP_TIMEOUT = 5.0  # seconds one change may take to reach the model before it counts as missed
CONNECT_TIMEOUT = 60.0


def email(who: str) -> str:
    return f"{who}@bench.apptdesk.org"


def directory() -> dict[str, object]:
    users = [
        {"email": email(f"{role[0]}{g}"), "name": f"{role.title()} {g}", "role": role, "password": PASSWORD}
        for g in range(1, GROUPS + 1)
        for role in ("requester", "provider")
    ]
    cases = [
        {"id": f"C-{g}", "title": f"Case {g}", "requester": email(f"r{g}"), "provider": email(f"p{g}")}
        for g in range(1, GROUPS + 1)
    ]
    return {"users": users, "cases": cases}


def prepare(url: str) -> None:
    migrate.upgrade(url)

    async def seed() -> None:
        db = Database.connect(url)
        try:
            async with db.write() as session:
                hasher = passwords_for(cheap_settings(url)).hash
                await import_directory(session, hasher, directory(), datetime.now(UTC))
                await session.commit()
        finally:
            await db.dispose()

    run_async(seed)


# --- the observed client: the real desktop models --------------------------------------------------


class TimedLiveUpdates(LiveUpdates):
    """The real ``LiveUpdates``, noting when each appointment event reached the client."""

    def __init__(self, *args: object, arrived: dict[tuple[int, int], float]) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.arrived = arrived

    async def _apply(self, event: LiveEvent) -> None:
        version = event.data.get("version")
        if event.appointment_id is not None and isinstance(version, int):
            self.arrived.setdefault((event.appointment_id, version), time.perf_counter())
        await super()._apply(event)


class Observer:
    """Notes when the model first holds each (appointment id, version); wakes whoever waits for it."""

    def __init__(self, model: CaseAppointmentsModel) -> None:
        self.model = model
        self.seen: dict[tuple[int, int], float] = {}
        self._waiting: dict[tuple[int, int], asyncio.Future[float]] = {}
        model.rowsInserted.connect(lambda _parent, first, last: self._look(first, last))
        model.dataChanged.connect(lambda top, bottom, *_: self._look(top.row(), bottom.row()))
        model.modelReset.connect(lambda: self._look(0, model.rowCount() - 1))

    def _look(self, first: int, last: int) -> None:
        now = time.perf_counter()
        for row in range(max(0, first), min(last, self.model.rowCount() - 1) + 1):
            appointment = self.model.row_object(row)
            key = (appointment.id, appointment.version)
            if key not in self.seen:
                self.seen[key] = now
                waiter = self._waiting.pop(key, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(now)

    async def held(self, key: tuple[int, int], within: float) -> float | None:
        """When the model first held ``key`` (perhaps already), or None after ``within`` seconds."""
        if key in self.seen:
            return self.seen[key]
        waiter = asyncio.get_running_loop().create_future()
        self._waiting[key] = waiter
        try:
            return await asyncio.wait_for(waiter, within)
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(key, None)


# --- the other connected clients: plain event streams ------------------------------------------------


@dataclass
class PlainClient:
    """One more signed-in window: holds the stream and fetches each changed appointment of its own."""

    api: ApiClient
    stream: EventStream | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    events: int = 0

    def start(self) -> None:
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1000)
        self.stream = EventStream(self.api)

        def on_event(event: LiveEvent) -> None:
            self.events += 1
            if event.type.startswith("appointment.") and event.appointment_id is not None:
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(event.appointment_id)

        async def fetch() -> None:
            while True:
                appointment_id = await queue.get()
                with contextlib.suppress(Exception):
                    await self.api.appointment(appointment_id)

        self.tasks = [asyncio.ensure_future(self.stream.run(on_event)), asyncio.ensure_future(fetch())]

    @property
    def live(self) -> bool:
        return self.stream is not None and self.stream.status.is_live

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.api.aclose()


# --- one configuration -------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    latency_ms: float  # call returned -> model holds the change (negative: the model had it first)
    stream_ms: float | None  # call returned -> the event reached the observed client (may be negative)
    fetch_ms: float | None  # the event reached the observed client -> model holds the change


@dataclass
class Result:
    clients: int
    samples: list[Sample]
    missed: int
    seconds: float


async def signed_in(url: str, who: str) -> ApiClient:
    api = ApiClient(url)
    await api.login(email(who), PASSWORD)
    return api


async def until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def measure(
    url: str, clients: int, rounds: int, gap: float, offset_hours: int, elsewhere: bool = False
) -> Result:
    session = AppSession()
    session.connect_to(url)
    await session.sign_in(email("p1"), PASSWORD, remember=False)
    user = session.require_user()
    arrived: dict[tuple[int, int], float] = {}
    inbox = Inbox(UnreadCounter(), UTC)
    live = TimedLiveUpdates(session, inbox, arrived=arrived)
    model = CaseAppointmentsModel(user, UTC)
    model.set_source(lambda cursor: session.case_appointments("C-1", cursor))
    session.appointmentChanged.connect(
        lambda a: model.insert_sorted(a, by_start) if a.case_id == "C-1" else None
    )
    observer = Observer(model)
    await model.reload()
    while model.more_available:  # a rerun on the same database: all of C-1, so new rows may be inserted
        await model.load_more()

    # Default: the extra windows are spread over C-1's two people and two others (a pessimistic mix: a
    # quarter are the provider's, each re-fetching every change). --elsewhere: all belong to people of
    # other cases, as in a clinic where many are signed in and a change concerns two of them.
    people = ("p2", "r2", "p3", "r3", "p4", "r4") if elsewhere else ("p1", "r1", "p2", "r2")
    others = [PlainClient(await signed_in(url, people[i % len(people)])) for i in range(clients - 1)]
    requester = await signed_in(url, "r1")
    provider = await signed_in(url, "p1")  # the provider's other window, proposing times to accept
    samples: list[Sample] = []
    missed = 0
    began = time.perf_counter()
    try:
        live.start()
        for other in others:
            other.start()
        await until(lambda: bool(live.status and live.status.is_live), CONNECT_TIMEOUT, "the observed stream")
        await until(lambda: all(o.live for o in others), CONNECT_TIMEOUT, "all streams to connect")
        await asyncio.sleep(0.5)  # let the connection burst settle

        async def timed(kind: str, call: Callable[[], object]) -> Appointment | None:
            nonlocal missed
            appointment = await call()  # type: ignore[misc]
            returned = time.perf_counter()
            assert isinstance(appointment, Appointment)
            key = (appointment.id, appointment.version)
            held = await observer.held(key, OP_TIMEOUT)
            if held is None:
                missed += 1
                return appointment
            reached = arrived.get(key)
            stream_ms = None if reached is None else (reached - returned) * 1000
            fetch_ms = None if reached is None else (held - reached) * 1000
            samples.append(Sample(kind, (held - returned) * 1000, stream_ms, fetch_ms))
            await asyncio.sleep(gap)
            return appointment

        base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        for k in range(rounds):
            when = base + timedelta(hours=offset_hours + 2 * k)
            mine = await timed("create", lambda w=when: requester.create_appointment("C-1", w, 30))
            # The provider proposes a time (not measured: it is the observed user's own action) ...
            theirs = await provider.create_appointment("C-1", when + timedelta(hours=1), 30)
            await observer.held((theirs.id, theirs.version), OP_TIMEOUT)
            # ... which the requester accepts, then moves (re-opening it), and the first is canceled.
            theirs = await timed("accept", lambda t=theirs: requester.accept(t))
            await timed(
                "reschedule",
                lambda t=theirs: requester.update_appointment(t, start=t.start + timedelta(days=60)),
            )
            await timed("cancel", lambda m=mine: requester.cancel(m))
    finally:
        seconds = time.perf_counter() - began
        await live.stop_and_wait()
        for other in others:
            await other.close()
        for api in (requester, provider):
            await api.aclose()
        await session.close()
        live.deleteLater()
        model.deleteLater()
    return Result(clients, samples, missed, seconds)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def report(label: str, result: Result) -> None:
    latencies = [max(0.0, s.latency_ms) for s in result.samples]
    early = sum(1 for s in result.samples if s.latency_ms <= 0)
    print(
        f"\n{label}, {result.clients} connected client(s): {len(result.samples)} changes in "
        f"{result.seconds:.0f} s, {result.missed} missed (> {OP_TIMEOUT:.0f} s), {early} in the model first"
    )
    if not latencies:
        return
    print(f"  {'':24} {'n':>4} {'p50':>8} {'p95':>8} {'max':>8}   (ms, call returned -> model holds it)")

    def line(name: str, values: list[float]) -> None:
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        print(f"  {name:24} {len(values):4d} {p50:8.1f} {p95:8.1f} {max(values):8.1f}")

    line("all", latencies)
    for kind in ("create", "accept", "reschedule", "cancel"):
        values = [max(0.0, s.latency_ms) for s in result.samples if s.kind == kind]
        if values:
            line(f"  {kind}", values)
    streamed = [s for s in result.samples if s.stream_ms is not None]
    if streamed:
        line("returned -> event", [s.stream_ms or 0.0 for s in streamed])
        line("event -> model (GET)", [s.fetch_ms or 0.0 for s in streamed])


def serve(settings: Settings) -> None:
    """The server alone (``--serve``): print its URL, run until stdin closes."""
    server = ServerThread(create_app(settings, sweeper=False)).start()
    print(server.url, flush=True)
    try:
        sys.stdin.read()
    finally:
        server.stop()


@contextlib.contextmanager
def running_server(settings: Settings, separate: bool) -> Iterator[str]:
    if not separate:
        server = ServerThread(create_app(settings, sweeper=False)).start()
        try:
            yield server.url
        finally:
            server.stop()
        return
    command = [sys.executable, "-m", "benchmarks.live_latency", "--serve"]
    command += ["--database-url", settings.database_url, "--outbox", settings.mail_outbox_dir]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()  # the child's ServerThread gives up after 20 s
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError("the server process did not start")
        yield url
    finally:
        assert child.stdin is not None
        child.stdin.close()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 50], help="connected clients (1-200)")
    parser.add_argument("--database-url", default="", help="an empty database; default: SQLite in a temp dir")
    parser.add_argument("--rounds", type=int, default=50, help="rounds of 4 measured changes (1-500)")
    parser.add_argument("--gap", type=float, default=0.1, help="seconds between changes (0-5)")
    parser.add_argument(
        "--server-process", action="store_true", help="run the server in a child process (no shared GIL)"
    )
    parser.add_argument(
        "--elsewhere", action="store_true", help="the extra clients are people of other cases (see measure())"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--outbox", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(cheap_settings(args.database_url).model_copy(update={"mail_outbox_dir": args.outbox}))
        return 0
    if not all(1 <= n <= 200 for n in args.clients) or not 1 <= args.rounds <= 500 or not 0 <= args.gap <= 5:
        parser.error("clients 1-200, rounds 1-500, gap 0-5 s")

    folder = Path(tempfile.mkdtemp(prefix="apptdesk-live-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    label = url.split(":")[0].split("+")[0]
    prepare(url)
    settings = cheap_settings(url).model_copy(update={"mail_outbox_dir": str(folder / "outbox")})
    keyring.set_keyring(fail.Keyring())  # never touch the machine's keychain

    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    results: list[Result] = []
    with loop:
        for index, clients in enumerate(args.clients):
            with running_server(settings, args.server_process) as server_url:
                offset = index * 2 * args.rounds + 1
                coro = measure(server_url, clients, args.rounds, args.gap, offset, args.elsewhere)
                results.append(loop.run_until_complete(coro))
            report(label, results[-1])
    where = "the server in its own process" if args.server_process else "the server in the same process"
    print(f"\n({os.cpu_count()} CPUs; all clients in one process, {where})")
    return 0 if all(r.missed == 0 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
