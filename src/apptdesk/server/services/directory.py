"""Users and cases: created by the operator, or imported from the wider platform.

Import is idempotent (a second run changes nothing) and all-or-nothing: the first bad entry is named
and nothing of the file is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from apptdesk.domain import Role
from apptdesk.domain.zones import is_valid_zone
from apptdesk.server.db.tables import Case, User

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD = 8


class DirectoryError(ValueError):
    """A bad entry: the message names it."""


@dataclass
class ImportReport:
    users_created: int = 0
    users_updated: int = 0
    cases_created: int = 0
    cases_updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"users: {self.users_created} created, {self.users_updated} updated; "
            f"cases: {self.cases_created} created, {self.cases_updated} updated; {self.unchanged} unchanged"
        )


def _text(entry: dict[str, Any], key: str, where: str, max_len: int) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DirectoryError(f"{where}: '{key}' is required and must be text")
    if len(value) > max_len:
        raise DirectoryError(f"{where}: '{key}' is longer than {max_len} characters")
    return value.strip()


def check_email(email: str, where: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email) or len(email) > 320:
        raise DirectoryError(f"{where}: {email!r} is not an email address")
    return email


def check_timezone(zone: object, where: str) -> str:
    if not is_valid_zone(zone):
        raise DirectoryError(f"{where}: {zone!r} is not an IANA time zone (e.g. Europe/Berlin)")
    assert isinstance(zone, str)
    return zone


def check_role(role: object, where: str) -> Role:
    try:
        return Role(str(role))
    except ValueError:
        raise DirectoryError(f"{where}: role must be one of requester, provider, admin") from None


def check_password(password: object, where: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise DirectoryError(f"{where}: a password of at least {MIN_PASSWORD} characters is required")
    return password


async def add_user(
    session: AsyncSession,
    hash_password: Callable[[str], str],
    *,
    email: str,
    name: str,
    role: Role,
    timezone: str,
    password: str,
    now: datetime,
) -> User:
    where = f"user {email}"
    email = check_email(email, where)
    if await session.scalar(select(User).where(User.email == email)) is not None:
        raise DirectoryError(f"{where}: a user with this email already exists")
    user = User(
        email=email,
        name=name.strip(),
        role=role.value,
        timezone=check_timezone(timezone, where),
        password_hash=hash_password(check_password(password, where)),
        created_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def import_directory(
    session: AsyncSession, hash_password: Callable[[str], str], data: object, now: datetime
) -> ImportReport:
    """Apply an import document in the caller's transaction; raises DirectoryError on the first bad entry."""
    if not isinstance(data, dict) or set(data) - {"users", "cases"}:
        raise DirectoryError("the file must be a JSON object with 'users' and 'cases' lists")
    users, cases = data.get("users", []), data.get("cases", [])
    if not isinstance(users, list) or not isinstance(cases, list):
        raise DirectoryError("'users' and 'cases' must be lists")
    report = ImportReport()
    by_email: dict[str, User] = {}
    for index, entry in enumerate(users):
        user = await _import_user(session, hash_password, entry, f"users[{index}]", now, report)
        if user.email in by_email:
            raise DirectoryError(f"users[{index}] ({user.email}): listed twice")
        by_email[user.email] = user
    seen_cases: set[str] = set()
    for index, entry in enumerate(cases):
        case_id = await _import_case(session, entry, f"cases[{index}]", now, report)
        if case_id in seen_cases:
            raise DirectoryError(f"cases[{index}] ({case_id}): listed twice")
        seen_cases.add(case_id)
    await session.flush()
    return report


async def _import_user(
    session: AsyncSession,
    hash_password: Callable[[str], str],
    entry: object,
    where: str,
    now: datetime,
    report: ImportReport,
) -> User:
    if not isinstance(entry, dict):
        raise DirectoryError(f"{where}: must be an object")
    unknown = set(entry) - {"email", "name", "role", "password", "timezone"}
    if unknown:
        raise DirectoryError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    email = check_email(_text(entry, "email", where, 320), where)
    where = f"{where} ({email})"
    name = _text(entry, "name", where, 200)
    role = check_role(entry.get("role"), where)
    timezone = check_timezone(entry.get("timezone") or "UTC", where)
    existing = await session.scalar(select(User).where(User.email == email))
    if existing is None:
        user = User(
            email=email,
            name=name,
            role=role.value,
            timezone=timezone,
            password_hash=hash_password(check_password(entry.get("password"), where)),
            created_at=now,
        )
        session.add(user)
        await session.flush()
        report.users_created += 1
        return user
    if existing.role != role.value:
        raise DirectoryError(f"{where}: exists as {existing.role}; a role cannot change by import")
    # A known user keeps the password they have: the file's password only seeds new accounts.
    if (existing.name, existing.timezone) != (name, timezone):
        existing.name, existing.timezone = name, timezone
        report.users_updated += 1
    else:
        report.unchanged += 1
    return existing


async def _participant(
    session: AsyncSession, entry: dict[str, Any], key: str, role: Role, where: str
) -> User:
    email = check_email(_text(entry, key, where, 320), where)
    user = await session.scalar(select(User).where(User.email == email))
    if user is None:
        raise DirectoryError(f"{where}: {key} {email} is not a user (add them under 'users')")
    if user.role != role.value:
        raise DirectoryError(f"{where}: {key} {email} is registered as {user.role}, not as {role.value}")
    return user


async def _import_case(
    session: AsyncSession, entry: object, where: str, now: datetime, report: ImportReport
) -> str:
    if not isinstance(entry, dict):
        raise DirectoryError(f"{where}: must be an object")
    unknown = set(entry) - {"id", "title", "requester", "provider"}
    if unknown:
        raise DirectoryError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    case_id = _text(entry, "id", where, 64)
    if not CASE_ID.match(case_id):
        raise DirectoryError(f"{where}: {case_id!r} is not a valid case ID (letters, digits, . _ -)")
    where = f"{where} ({case_id})"
    title = _text(entry, "title", where, 300)
    requester = await _participant(session, entry, "requester", Role.REQUESTER, where)
    provider = await _participant(session, entry, "provider", Role.PROVIDER, where)
    existing = await session.get(Case, case_id)
    if existing is None:
        session.add(
            Case(id=case_id, title=title, requester_id=requester.id, provider_id=provider.id, created_at=now)
        )
        report.cases_created += 1
        return case_id
    if (existing.requester_id, existing.provider_id) != (requester.id, provider.id):
        raise DirectoryError(
            f"{where}: exists with other participants; reassigning a case is not done by import"
        )
    if existing.title != title:
        existing.title = title
        report.cases_updated += 1
    else:
        report.unchanged += 1
    return case_id
