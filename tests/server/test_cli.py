"""``apptdesk-server``: migrate, seed-demo, import and create-user, run in-process on a SQLite file."""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from apptdesk.server.app import create_app
from apptdesk.server.cli import main
from apptdesk.server.demo import DEMO_PASSWORD
from apptdesk.server.embedded import ServerThread
from tests.support.api import API
from tests.support.databases import cheap_settings

TABLES = [
    "users",
    "cases",
    "appointments",
    "appointment_history",
    "access_log",
    "auth_sessions",
    "auth_tokens",
]
STATUSES = {"pending", "accepted", "rejected", "canceled", "completed"}


class Cli:
    def __init__(self, path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["--database-url", self.url, *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.path) as connection:
            return connection.execute(sql, params).fetchall()

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        return {table: sorted(self.rows(f"SELECT * FROM {table}"), key=repr) for table in TABLES}

    def count(self, table: str, where: str = "1=1") -> int:
        return int(self.rows(f"SELECT count(*) FROM {table} WHERE {where}")[0][0])


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    for name in list(os.environ):
        if name.startswith("APPTDESK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("APPTDESK_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("APPTDESK_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("APPTDESK_ARGON2_PARALLELISM", "1")
    # The CLI configures the root logger for an operator's terminal; give it back as it was.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    alembic_level = logging.getLogger("alembic").level
    try:
        yield Cli(tmp_path / "server.sqlite3", capsys)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("alembic").setLevel(alembic_level)


def write(tmp_path: Path, document: Any, name: str = "directory.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


def directory() -> dict[str, Any]:
    return {
        "users": [
            {
                "email": "Req.One@Platform.example",
                "name": "Req One",
                "role": "requester",
                "password": "requester-password",
                "timezone": "Europe/Berlin",
            },
            {
                "email": "prov.one@platform.example",
                "name": "Prov One",
                "role": "provider",
                "password": "provider-pw",
            },
            {"email": "boss@platform.example", "name": "Boss", "role": "admin", "password": "admin-password"},
        ],
        "cases": [
            {
                "id": "C-1001",
                "title": "Second read",
                "requester": "req.one@platform.example",
                "provider": "prov.one@platform.example",
            }
        ],
    }


def test_migrate_creates_the_schema_and_is_repeatable(cli: Cli) -> None:
    code, out, _ = cli("migrate")
    assert code == 0
    assert "up to date" in out.lower()
    names = {row[0] for row in cli.rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(TABLES) | {"alembic_version"} <= names
    before = cli.dump()
    assert cli("migrate")[0] == 0
    assert cli.dump() == before
    assert cli.rows("PRAGMA journal_mode") == [("wal",)]


def test_seed_demo_fills_every_status_once(cli: Cli) -> None:
    code, out, _ = cli("seed-demo")
    assert code == 0, out
    assert DEMO_PASSWORD in out  # told once to the operator who asked for demo data
    roles = dict(cli.rows("SELECT role, count(*) FROM users GROUP BY role"))
    assert roles["requester"] >= 3
    assert roles["provider"] >= 3
    assert roles["admin"] == 1
    assert cli.count("cases") >= 12
    assert cli.count("appointments") >= 40
    statuses = {row[0] for row in cli.rows("SELECT DISTINCT status FROM appointments")}
    assert statuses == STATUSES
    # Every appointment was made through the real operations: each has its creation in the history.
    assert cli.count("appointment_history", "action = 'created'") == cli.count("appointments")
    (admin_hash,) = cli.rows("SELECT password_hash FROM users WHERE role = 'admin'")[0]
    assert PasswordHasher().verify(admin_hash, DEMO_PASSWORD)

    before = cli.dump()
    code, out, _ = cli("seed-demo")
    assert code == 0
    assert "already" in out.lower()
    assert cli.dump() == before


def test_demo_data_is_served(cli: Cli) -> None:
    assert cli("seed-demo")[0] == 0
    (admin_email,) = cli.rows("SELECT email FROM users WHERE role = 'admin'")[0]
    thread = ServerThread(create_app(cheap_settings(cli.url), sweeper=False)).start()
    try:
        with httpx.Client(base_url=thread.url + API, timeout=30) as client:
            login = client.post("/auth/login", json={"email": admin_email, "password": DEMO_PASSWORD})
            assert login.status_code == 200, login.text
            client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            listed = client.get("/appointments", params={"limit": 500})
            assert listed.status_code == 200, listed.text
            items = listed.json()["items"]
            assert len(items) == cli.count("appointments")
            assert {item["status"] for item in items} == STATUSES
            assert len(client.get("/cases").json()["items"]) == cli.count("cases")
    finally:
        thread.stop()


def test_import_is_idempotent(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, directory())
    code, out, _ = cli("import", str(path))
    assert code == 0, out
    assert cli.count("users") == 3
    assert cli.rows("SELECT id, title FROM cases") == [("C-1001", "Second read")]
    users = {row[0]: row[1:] for row in cli.rows("SELECT email, name, role, timezone FROM users")}
    assert users == {
        "req.one@platform.example": ("Req One", "requester", "Europe/Berlin"),
        "prov.one@platform.example": ("Prov One", "provider", "UTC"),
        "boss@platform.example": ("Boss", "admin", "UTC"),
    }
    first = cli.dump()
    code, out, _ = cli("import", str(path))
    assert code == 0, out
    assert cli.dump() == first
    assert "0 created" in out
    assert "requester-password" not in out


def test_import_updates_names_and_titles_but_keeps_passwords(cli: Cli, tmp_path: Path) -> None:
    assert cli("import", str(write(tmp_path, directory())))[0] == 0
    hashes = cli.rows("SELECT email, password_hash FROM users ORDER BY email")
    changed = directory()
    changed["users"][0]["name"] = "Req One-Renamed"
    changed["users"][0]["password"] = "another-password"
    changed["cases"][0]["title"] = "Second read, updated"
    assert cli("import", str(write(tmp_path, changed, "changed.json")))[0] == 0
    assert cli.rows("SELECT name FROM users WHERE email = 'req.one@platform.example'") == [
        ("Req One-Renamed",)
    ]
    assert cli.rows("SELECT title FROM cases") == [("Second read, updated",)]
    assert cli.rows("SELECT email, password_hash FROM users ORDER BY email") == hashes


def _bad(*changes: tuple[str, int, str, Any]) -> dict[str, Any]:
    """The good directory with a valid new user and case first, then ``changes``.

    users: [0] new, [1] Req One, [2] Prov One, [3] Boss; cases: [0] new C-2000, [1] C-1001. A change is
    (section, index, key, value): value DROP removes the key; index -1 with key "" appends value.
    """
    document = directory()
    # A new, valid first entry: if the import were not all-or-nothing, it would be left behind.
    fresh = {
        "email": "fresh@platform.example",
        "name": "Fresh",
        "role": "requester",
        "password": "fresh-password",
    }
    document["users"].insert(0, fresh)
    document["cases"].insert(
        0,
        {
            "id": "C-2000",
            "title": "New",
            "requester": fresh["email"],
            "provider": "prov.one@platform.example",
        },
    )
    for section, index, field, value in changes:
        if index == -1:
            document[section].append(value)
        elif value is DROP:
            del document[section][index][field]
        else:
            document[section][index][field] = value
    return document


DROP = object()
NEW_ADMIN = {"email": "x@platform.example", "name": "X", "role": "admin", "password": "short"}
FRESH_AGAIN = {
    "email": "Fresh@Platform.example",
    "name": "Fresh",
    "role": "requester",
    "password": "fresh-password",
}
C1001_AGAIN = {
    "id": "C-1001",
    "title": "Second read",
    "requester": "req.one@platform.example",
    "provider": "prov.one@platform.example",
}

BAD_FILES: dict[str, tuple[Any, str]] = {
    "invalid JSON": ('{"users": [{"email": "a@b.c",', "not valid JSON"),
    "not an object": ([1, 2], "JSON object"),
    "users not a list": ({"users": {"email": "a@b.c"}, "cases": []}, "list"),
    "unknown top-level key": ({**directory(), "people": []}, "users"),
    "unknown role": (_bad(("users", 1, "role", "doctor")), "users[1]"),
    "missing password for a new user": (_bad(("users", 0, "password", DROP)), "users[0]"),
    "short password for a new user": (_bad(("users", -1, "", NEW_ADMIN)), "users[4]"),
    "duplicate email": (_bad(("users", -1, "", FRESH_AGAIN)), "users[4]"),
    "bad email": (_bad(("users", 2, "email", "not-an-email")), "users[2]"),
    "missing name": (_bad(("users", 3, "name", DROP)), "users[3]"),
    "unknown user field": (_bad(("users", 1, "admin", True)), "users[1]"),
    "bad timezone": (_bad(("users", 3, "timezone", "Mars/Base")), "users[3]"),
    "timezone not text": (_bad(("users", 0, "timezone", 5)), "users[0]"),
    "role not text": (_bad(("users", 0, "role", ["requester"])), "users[0]"),
    "entry not an object": (_bad(("users", -1, "", "someone@platform.example")), "users[4]"),
    "existing user changes role": (_bad(("users", 2, "role", "requester")), "users[2]"),
    "case naming an unknown user": (_bad(("cases", 1, "provider", "ghost@platform.example")), "cases[1]"),
    "a requester listed as provider": (
        _bad(("cases", 1, "provider", "req.one@platform.example")),
        "cases[1]",
    ),
    "a provider listed as requester": (
        _bad(("cases", 0, "requester", "prov.one@platform.example")),
        "cases[0]",
    ),
    "an admin in a case": (_bad(("cases", 1, "requester", "boss@platform.example")), "cases[1]"),
    "case listed twice": (_bad(("cases", -1, "", C1001_AGAIN)), "cases[2]"),
    "case without title": (_bad(("cases", 1, "title", DROP)), "cases[1]"),
    "bad case id": (_bad(("cases", 1, "id", "C 1001/../x")), "cases[1]"),
    "existing case gets other people": (
        _bad(("cases", 1, "requester", "fresh@platform.example")),
        "cases[1]",
    ),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_import_files_change_nothing(name: str, cli: Cli, tmp_path: Path) -> None:
    assert cli("import", str(write(tmp_path, directory(), "good.json")))[0] == 0
    before = cli.dump()
    document, names = BAD_FILES[name]
    path = write(tmp_path, document, "bad.json")
    code, out, err = cli("import", str(path))
    assert code == 2, (out, err)
    assert names in err, err
    assert "nothing was changed" in err
    assert "Traceback" not in err
    assert "fresh-password" not in err + out
    assert cli.dump() == before


def test_import_of_a_missing_file_fails_cleanly(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("import", str(tmp_path / "nope.json"))
    assert code == 2
    assert "nope.json" in err


def test_create_user_reads_the_password_from_stdin(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-password\n"))
    code, out, err = cli(
        "create-user", "--email", "New.Person@Clinic.example", "--name", "New Person", "--role", "provider",
        "--timezone", "Asia/Tokyo", "--password-stdin",
    )  # fmt: skip
    assert code == 0, err
    assert "a-long-enough-password" not in out + err
    rows = cli.rows("SELECT email, name, role, timezone, password_hash FROM users")
    assert len(rows) == 1
    email, name, role, zone, password_hash = rows[0]
    assert (email, name, role, zone) == ("new.person@clinic.example", "New Person", "provider", "Asia/Tokyo")
    assert "a-long-enough-password" not in password_hash
    assert PasswordHasher().verify(password_hash, "a-long-enough-password")

    before = cli.dump()
    monkeypatch.setattr("sys.stdin", io.StringIO("another-password\n"))
    code, _, err = cli(
        "create-user", "--email", "NEW.person@clinic.example", "--name", "Twin", "--role", "requester",
        "--password-stdin",
    )  # fmt: skip
    assert code == 2
    assert "already exists" in err
    assert cli.dump() == before


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--email", "a@clinic.example", "--name", "A", "--role", "admin"], "short\n", "password"),
        (
            ["--email", "a@clinic.example", "--name", "A", "--role", "admin", "--timezone", "Nowhere/Zone"],
            "long-password\n",
            "Nowhere/Zone",
        ),
        (["--email", "not an email", "--name", "A", "--role", "admin"], "long-password\n", "not an email"),
    ],
)
def test_create_user_refuses_bad_values(
    args: list[str], stdin: str, message: str, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("migrate")[0] == 0
    before = cli.dump()
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code, _, err = cli("create-user", *args, "--password-stdin")
    assert code == 2
    assert message in err
    assert cli.dump() == before


def test_create_user_refuses_an_unknown_role(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("long-password\n"))
    with pytest.raises(SystemExit) as exit_info:
        cli(
            "create-user",
            "--email",
            "a@clinic.example",
            "--name",
            "A",
            "--role",
            "doctor",
            "--password-stdin",
        )
    assert exit_info.value.code == 2
