"""Typed API objects for model tests: no server, no JSON, just ``apptdesk.api.types`` values."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from apptdesk.api import Appointment, Case, Notification, Page, Person, User
from apptdesk.domain import AppointmentStatus, Role

RITA = User(
    id=1, email="rita.r1@test.apptdesk.org", name="Rita Requester", role=Role.REQUESTER, timezone="UTC"
)
PAUL = User(id=2, email="paul.p1@test.apptdesk.org", name="Paul Provider", role=Role.PROVIDER, timezone="UTC")
ROB = User(id=3, email="rob.r2@test.apptdesk.org", name="Rob Outsider", role=Role.REQUESTER, timezone="UTC")
ADA = User(id=5, email="ada.admin@test.apptdesk.org", name="Ada Admin", role=Role.ADMIN, timezone="UTC")

BASE = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # a Monday
_ids = itertools.count(1)


def person(user: User) -> Person:
    return user.as_person()


def appointment(
    id: int | None = None,
    *,
    case_id: str = "C-1",
    start: datetime | None = None,
    duration_minutes: int = 30,
    status: AppointmentStatus = AppointmentStatus.PENDING,
    created_by: User = RITA,
    requester: User = RITA,
    provider: User = PAUL,
    awaiting: User | None = None,
    purpose: str | None = "Second opinion",
    reason: str | None = None,
    version: int = 1,
) -> Appointment:
    """An appointment of case C-1 between Rita (requester) and Paul (provider).

    Pending ones await the other participant unless ``awaiting`` says otherwise.
    """
    start = start or BASE
    if awaiting is None and status is AppointmentStatus.PENDING:
        awaiting = provider if created_by.id == requester.id else requester
    return Appointment(
        id=next(_ids) if id is None else id,
        case_id=case_id,
        start=start,
        end=start + timedelta(minutes=duration_minutes),
        duration_minutes=duration_minutes,
        timezone="UTC",
        purpose=purpose,
        status=status,
        type=created_by.role,
        created_by=person(created_by),
        proposed_by=person(created_by),
        awaiting=person(awaiting) if awaiting is not None else None,
        requester=person(requester),
        provider=person(provider),
        reason=reason,
        version=version,
        created_at=BASE - timedelta(days=1),
        updated_at=BASE - timedelta(days=1),
    )


def appointments(count: int, first_id: int = 1, **kwargs: object) -> list[Appointment]:
    """``count`` appointments an hour apart, ids from ``first_id``."""
    return [
        appointment(first_id + i, start=BASE + timedelta(hours=i), **kwargs)  # type: ignore[arg-type]
        for i in range(count)
    ]


def case(
    id: str = "C-1",
    *,
    title: str = "Case one",
    requester: User = RITA,
    provider: User = PAUL,
    pending: int = 0,
) -> Case:
    return Case(
        id=id,
        title=title,
        requester=person(requester),
        provider=person(provider),
        pending_appointments=pending,
        created_at=BASE - timedelta(days=30),
    )


def pages_of(items: Sequence[Appointment], size: int) -> Callable[[str | None], Awaitable[Page[Appointment]]]:
    """A fetch function over ``items`` in pages of ``size``; the cursor is the next offset."""

    async def fetch(cursor: str | None) -> Page[Appointment]:
        offset = int(cursor or 0)
        chunk = tuple(items[offset : offset + size])
        more = offset + size < len(items)
        return Page(items=chunk, next_cursor=str(offset + size) if more else None)

    return fetch


def notification(
    id: int | None = None,
    *,
    kind: str = "created",
    appointment_id: int = 1,
    case_id: str = "C-1",
    created_at: datetime | None = None,
    read: bool = False,
    title: str | None = None,
    body: str = "Rita Requester · Mon 01 Jun 2026, 12:00",
) -> Notification:
    """A notification about appointment ``appointment_id`` of case C-1, unread, created at BASE."""
    return Notification(
        id=next(_ids) if id is None else id,
        kind=kind,
        appointment_id=appointment_id,
        case_id=case_id,
        created_at=created_at or BASE,
        read=read,
        title=title if title is not None else f"Appointment requested · {case_id}",
        body=body,
    )
