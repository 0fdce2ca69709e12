"""``apptdesk-server``: run, migrate, seed-demo, create-user, import."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from apptdesk.domain import Role
from apptdesk.server import logs
from apptdesk.server.db import migrate
from apptdesk.server.db.engine import Database
from apptdesk.server.services.directory import DirectoryError, add_user, import_directory
from apptdesk.server.settings import Settings
from apptdesk.server.state import passwords_for, system_clock


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apptdesk-server", description="The apptdesk appointments API server."
    )
    parser.add_argument(
        "--database-url", help="sqlite:///PATH or postgresql://... (default: APPTDESK_DATABASE_URL)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="migrate, then serve the API")
    run.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=None, help="port (default 8765)")

    commands.add_parser("migrate", help="create or upgrade the database schema")
    commands.add_parser("seed-demo", help="add demo users, cases and appointments (once)")

    user = commands.add_parser("create-user", help="add a user; the password is asked for, never an argument")
    user.add_argument("--email", required=True)
    user.add_argument("--name", required=True)
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--timezone", default="UTC", help="IANA zone, e.g. Europe/Berlin")
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    imp = commands.add_parser("import", help="import users and cases from a JSON file (idempotent)")
    imp.add_argument("file", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    if args.database_url:
        settings = settings.model_copy(update={"database_url": args.database_url})
    logs.configure(settings.log_level)
    url = settings.resolved_database_url()
    try:
        if args.command == "run":
            return _run(settings, url, args.host, args.port)
        migrate.upgrade(url)
        if args.command == "migrate":
            print("Database is up to date.")
            return 0
        if args.command == "seed-demo":
            return asyncio.run(_seed(settings, url))
        if args.command == "create-user":
            return asyncio.run(_create_user(settings, url, args))
        if args.command == "import":
            return asyncio.run(_import(settings, url, args.file))
    except DirectoryError as error:
        print(f"error: {error}; nothing was changed.", file=sys.stderr)
        return 2
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 2


def _run(settings: Settings, url: str, host: str | None, port: int | None) -> int:
    import uvicorn

    from apptdesk.server.app import create_app
    from apptdesk.server.embedded import StreamAwareServer

    migrate.upgrade(url)
    settings = settings.model_copy(update={"database_url": url})
    config = uvicorn.Config(
        create_app(settings),
        host=host or settings.host,
        port=settings.port if port is None else port,
        log_config=logs.uvicorn_log_config(settings.log_level),
        timeout_graceful_shutdown=10,
    )
    StreamAwareServer(config).run()
    return 0


async def _seed(settings: Settings, url: str) -> int:
    from apptdesk.server.demo import DEMO_PASSWORD, seed

    db = Database.connect(url)
    try:
        report = await seed(db, passwords_for(settings).hash, system_clock())
    finally:
        await db.dispose()
    if report is None:
        print("Demo data is already there; nothing added.")
    else:
        print(f"Demo data added ({report.summary()}; {', '.join(report.notes)}).")
        print(f"Every demo account's password is: {DEMO_PASSWORD}")
    return 0


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise DirectoryError("the two passwords differ")
    return first


async def _create_user(settings: Settings, url: str, args: argparse.Namespace) -> int:
    password = _read_password(args.password_stdin)
    db = Database.connect(url)
    try:
        async with db.write() as session:
            user = await add_user(
                session,
                passwords_for(settings).hash,
                email=args.email,
                name=args.name,
                role=Role(args.role),
                timezone=args.timezone,
                password=password,
                now=system_clock(),
            )
            await session.commit()
    finally:
        await db.dispose()
    print(f"Created {user.role} {user.email} (id {user.id}).")
    return 0


async def _import(settings: Settings, url: str, path: Path) -> int:
    try:
        data = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DirectoryError(
            f"{path} is not valid JSON (line {error.lineno}, column {error.colno})"
        ) from None
    db = Database.connect(url)
    try:
        async with db.write() as session:
            report = await import_directory(session, passwords_for(settings).hash, data, system_clock())
            await session.commit()
    finally:
        await db.dispose()
    print(f"Imported {path}: {report.summary()}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
