"""How fast the global list answers with many appointments (a benchmark, not a test).

Fills a fresh database with N appointments (default 1,000,000) over 20,000 cases, then times
GET /api/v1/appointments through a real server: first page, a deep page via the cursor, filters, and
a participant's own list. Run:

    .venv/bin/python -m benchmarks.list_at_scale [--rows 1000000] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from apptdesk.server.app import create_app
from apptdesk.server.db import migrate
from apptdesk.server.db.engine import Database
from apptdesk.server.db.tables import Appointment, Case, User
from apptdesk.server.embedded import ServerThread
from apptdesk.server.settings import Settings
from apptdesk.server.state import passwords_for
from tests.support.databases import run_async

PASSWORD = "bench-password"
STATUSES = ["pending", "accepted", "rejected", "canceled", "completed"]


async def fill(url: str, rows: int, cases: int, people: int) -> None:
    settings = Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    password_hash = passwords_for(settings).hash(PASSWORD)
    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(7)
    db = Database.connect(url)
    async with db.write() as session:
        users = [
            {
                "id": i + 1,
                "email": f"user{i + 1}@bench.apptdesk.org",
                "name": f"Person {i + 1}",
                "role": "requester" if i < people // 2 else "provider",
                "timezone": "Europe/Berlin",
                "password_hash": password_hash,
                "created_at": now,
            }
            for i in range(people)
        ]
        users.append({**users[0], "id": people + 1, "email": "admin@bench.apptdesk.org", "role": "admin"})
        await session.execute(insert(User), users)
        await session.execute(
            insert(Case),
            [
                {
                    "id": f"C-{100000 + c}",
                    "title": f"Case {c}",
                    "requester_id": 1 + c % (people // 2),
                    "provider_id": 1 + people // 2 + (c * 7) % (people // 2),
                    "created_at": now,
                }
                for c in range(cases)
            ],
        )
        await session.commit()
    batch = 20_000
    for offset in range(0, rows, batch):
        values = []
        for i in range(offset, min(rows, offset + batch)):
            c = rng.randrange(cases)
            requester = 1 + c % (people // 2)
            start = now + timedelta(minutes=rng.randrange(-525_600, 525_600) // 15 * 15)
            values.append(
                {
                    "case_id": f"C-{100000 + c}",
                    "start_at": start,
                    "end_at": start + timedelta(minutes=30),
                    "duration_minutes": 30,
                    "timezone": "Europe/Berlin",
                    "purpose": f"Follow-up {i}",
                    "status": STATUSES[i % 5],
                    "type": "requester",
                    "created_by_id": requester,
                    "proposed_by_id": requester,
                    "reason": None,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        async with db.write() as session:
            await session.execute(insert(Appointment), values)
            await session.commit()
    await db.dispose()


def timed(
    client: httpx.Client, path: str, params: dict[str, object], runs: int
) -> tuple[float, float, str | None]:
    times, cursor = [], None
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(path, params=params)
        times.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
        cursor = response.json()["next_cursor"]
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], cursor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    migrate.upgrade(url)
    began = time.perf_counter()
    run_async(lambda: fill(url, args.rows, cases=20_000, people=2_000))
    print(f"filled {args.rows:,} appointments in {time.perf_counter() - began:.0f} s ({url.split(':')[0]})")

    app = create_app(Settings(database_url=url), sweeper=False)
    server = ServerThread(app).start()
    try:
        with httpx.Client(base_url=server.url + "/api/v1", timeout=60) as client:
            for who in ("admin@bench.apptdesk.org", "user1@bench.apptdesk.org"):
                token = client.post("/auth/login", json={"email": who, "password": PASSWORD}).json()
                client.headers["Authorization"] = f"Bearer {token['access_token']}"
                _, _, cursor = timed(client, "/appointments", {"limit": 100}, 1)
                deep = {"limit": 100, "cursor": cursor}
                cases = [
                    ("first page, 100 rows", {"limit": 100}),
                    ("next page via cursor", deep),
                    ("first page, 500 rows", {"limit": 500}),
                    ("status=pending", {"limit": 100, "status": "pending"}),
                    ("status=pending&status=accepted", {"limit": 100, "status": ["pending", "accepted"]}),
                    ("case_id filter", {"limit": 100, "case_id": "C-100001"}),
                    ("date range (one week)", {"limit": 100, "from": "2026-12-01", "to": "2026-12-07"}),
                    ("q free text", {"limit": 100, "q": "Case 1234"}),
                ]
                print(f"\n{who.split('@')[0]}: p50 / p95 in ms over {args.runs} runs")
                for label, params in cases:
                    p50, p95, _ = timed(client, "/appointments", params, args.runs)
                    print(f"  {label:34} {p50:8.1f} {p95:8.1f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
