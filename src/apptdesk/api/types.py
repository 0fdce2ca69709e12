"""Typed, immutable results of the API, and the parsers that build them from JSON.

Every parser checks what it reads: a missing field, a wrong type or a naive time raises
``InvalidResponse`` (an ``ApiError``) naming the field, never a ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from apptdesk.api.errors import InvalidResponse
from apptdesk.domain import FINAL_STATUSES, Action, AppointmentStatus, Relation, Role, relation_of
from apptdesk.domain import allowed_actions as domain_allowed_actions

__all__ = [
    "Appointment",
    "Case",
    "EventType",
    "HistoryEntry",
    "LiveEvent",
    "Notification",
    "Page",
    "Person",
    "Session",
    "TokenPair",
    "User",
    "parse_appointment",
    "parse_case",
    "parse_history",
    "parse_history_entry",
    "parse_live_event",
    "parse_notification",
    "parse_page",
    "parse_person",
    "parse_session",
    "parse_user",
]

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Person:
    """A participant as the API shows them: no email, just who they are."""

    id: int
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class User:
    """The signed-in user (``GET /me``)."""

    id: int
    email: str
    name: str
    role: Role
    timezone: str

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def as_person(self) -> Person:
        return Person(id=self.id, name=self.name, role=self.role)


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    title: str
    requester: Person
    provider: Person
    pending_appointments: int
    created_at: datetime

    def relation_for(self, user: User) -> Relation:
        """PROPOSER for either participant (whoever creates proposes), ADMIN, or OUTSIDER."""
        return relation_of(user.id, user.role, self.requester.id, self.provider.id, None)

    def can_create(self, user: User) -> bool:
        """Whether ``user`` may request an appointment in this case."""
        return self.relation_for(user) is Relation.PROPOSER


@dataclass(frozen=True, slots=True)
class Appointment:
    id: int
    case_id: str
    start: datetime
    end: datetime
    duration_minutes: int
    timezone: str
    purpose: str | None
    status: AppointmentStatus
    type: Role  # the role of whoever requested it
    created_by: Person
    proposed_by: Person  # who proposed the current time; changes on a reschedule
    awaiting: Person | None  # whose answer is awaited; None unless pending
    requester: Person
    provider: Person
    reason: str | None  # why it was rejected or canceled
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def etag(self) -> str:
        """The value to send as If-Match to change exactly this version."""
        return f'"{self.version}"'

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def relation_for(self, user: User) -> Relation:
        return relation_of(user.id, user.role, self.requester.id, self.provider.id, self.proposed_by.id)

    def allowed_actions(self, user: User, now: datetime | None = None) -> frozenset[Action]:
        """What ``user`` may do now (``now`` defaults to the current time): what the client enables.

        The same rules the server enforces (``apptdesk.domain``); VIEW is included when visible.
        """
        moment = now if now is not None else datetime.now(UTC)
        return domain_allowed_actions(self.relation_for(user), self.status, now=moment, start=self.start)

    def is_participant(self, user: User) -> bool:
        return user.id in (self.requester.id, self.provider.id)

    def other_party(self, user: User) -> Person | None:
        """The participant ``user`` deals with: the provider for the requester and vice versa.

        None when ``user`` is not a participant (an administrator looking on).
        """
        if user.id == self.requester.id:
            return self.provider
        if user.id == self.provider.id:
            return self.requester
        return None

    def is_awaiting(self, user: User) -> bool:
        """Whether this appointment waits for ``user``'s answer."""
        return self.awaiting is not None and self.awaiting.id == user.id


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: int
    at: datetime
    actor: Person | None  # None: the system (expiry, automatic completion)
    action: str  # created, edited, rescheduled, accepted, rejected, canceled, completed, expired
    from_status: AppointmentStatus | None
    to_status: AppointmentStatus
    changes: Mapping[str, tuple[Any, Any]]  # field -> (old, new)
    reason: str | None


@dataclass(frozen=True, slots=True)
class Notification:
    """An in-app notification of the signed-in user, about one appointment.

    ``kind`` is what happened (created, edited, rescheduled, accepted, rejected, canceled, completed,
    expired); ``title`` and ``body`` are the server's wording, free of clinical text.
    """

    id: int
    kind: str
    appointment_id: int
    case_id: str
    created_at: datetime
    read: bool
    title: str
    body: str


class EventType(StrEnum):
    """The event types the live stream sends today. ``LiveEvent.type`` stays a plain ``str``: a newer
    server may send others, which a client should ignore. Compare with ``event.type == EventType.X``."""

    APPOINTMENT_CREATED = "appointment.created"
    APPOINTMENT_UPDATED = "appointment.updated"
    NOTIFICATION_CREATED = "notification.created"
    NOTIFICATION_READ = "notification.read"


# Fields of an event's data with a known type, checked when the event is parsed.
_EVENT_INTEGERS = ("appointment_id", "notification_id", "version", "unread_count")
_EVENT_TEXTS = ("case_id", "action", "status", "kind", "title", "body")


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One event of the live stream (``GET /events``).

    ``id`` grows with every event (resume after it with Last-Event-ID), ``type`` is e.g.
    ``appointment.updated`` (see ``EventType``), ``data`` the event's JSON object, read-only.

    The data of each type today:

    - ``appointment.created`` / ``appointment.updated``: appointment_id, case_id, action, status, version
    - ``notification.created``: notification_id, appointment_id, case_id, kind, title, body
    - ``notification.read``: unread_count, and notification_ids (a list) or all (true)

    The accessors below return None when the event does not carry the field; when it does, its type
    was checked by ``parse_live_event``.
    """

    id: int
    type: str
    data: Mapping[str, Any] = field(hash=False)

    @property
    def appointment_id(self) -> int | None:
        return _opt_int(self.data, "appointment_id")

    @property
    def case_id(self) -> str | None:
        value = self.data.get("case_id")
        return value if isinstance(value, str) else None

    @property
    def notification_id(self) -> int | None:
        return _opt_int(self.data, "notification_id")

    @property
    def version(self) -> int | None:
        """The appointment's version after the change (``appointment.*``)."""
        return _opt_int(self.data, "version")

    @property
    def unread_count(self) -> int | None:
        """The user's unread notifications after they were marked read (``notification.read``)."""
        return _opt_int(self.data, "unread_count")


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: pass ``next_cursor`` back as ``cursor`` for the next; None on the last."""

    items: tuple[T, ...]
    next_cursor: str | None

    @property
    def is_last(self) -> bool:
        return self.next_cursor is None


@dataclass(frozen=True, slots=True)
class TokenPair:
    """The bearer tokens of a sign-in. Their repr hides them, so logging one leaks nothing."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int  # seconds until the access token expires
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class Session:
    """A sign-in: its tokens and who it belongs to."""

    tokens: TokenPair
    user: User


# --- parsing ---------------------------------------------------------------------------------------


class _Fields:
    """Typed reads from one JSON object, each failing with ``InvalidResponse`` naming the field."""

    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, Mapping):
            raise _invalid(where, f"expected an object, got {_kind(value)}")
        self.data: Mapping[str, Any] = value
        self.where = where

    def _get(self, key: str) -> Any:
        if key not in self.data:
            raise _invalid(f"{self.where}.{key}", "is missing")
        return self.data[key]

    def integer(self, key: str) -> int:
        value = self._get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _invalid(f"{self.where}.{key}", f"expected an integer, got {_kind(value)}")
        return value

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise _invalid(f"{self.where}.{key}", f"expected text, got {_kind(value)}")
        return value

    def boolean(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise _invalid(f"{self.where}.{key}", f"expected true or false, got {_kind(value)}")
        return value

    def opt_text(self, key: str) -> str | None:
        return None if self.data.get(key) is None else self.text(key)

    def moment(self, key: str) -> datetime:
        text = self.text(key)
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            raise _invalid(f"{self.where}.{key}", f"{text!r} is not an RFC 3339 time") from None
        if value.tzinfo is None or value.utcoffset() is None:
            raise _invalid(f"{self.where}.{key}", f"{text!r} has no UTC offset")
        return value.astimezone(UTC)

    def choice(self, key: str, kind: type[E]) -> E:
        text = self.text(key)
        try:
            return kind(text)
        except ValueError:
            raise _invalid(f"{self.where}.{key}", f"{text!r} is not a known {kind.__name__}") from None

    def opt_choice(self, key: str, kind: type[E]) -> E | None:
        return None if self.data.get(key) is None else self.choice(key, kind)

    def obj(self, key: str, parse: Callable[[object, str], T]) -> T:
        return parse(self._get(key), f"{self.where}.{key}")

    def opt_obj(self, key: str, parse: Callable[[object, str], T]) -> T | None:
        return None if self.data.get(key) is None else self.obj(key, parse)

    def array(self, key: str) -> list[Any]:
        value = self._get(key)
        if not isinstance(value, list):
            raise _invalid(f"{self.where}.{key}", f"expected a list, got {_kind(value)}")
        return value


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _invalid(where: str, problem: str) -> InvalidResponse:
    return InvalidResponse(None, "Invalid response", f"{where}: {problem}")


def parse_person(data: object, where: str = "person") -> Person:
    f = _Fields(data, where)
    return Person(id=f.integer("id"), name=f.text("name"), role=f.choice("role", Role))


def parse_user(data: object, where: str = "user") -> User:
    f = _Fields(data, where)
    return User(
        id=f.integer("id"),
        email=f.text("email"),
        name=f.text("name"),
        role=f.choice("role", Role),
        timezone=f.text("timezone"),
    )


def parse_case(data: object, where: str = "case") -> Case:
    f = _Fields(data, where)
    return Case(
        id=f.text("id"),
        title=f.text("title"),
        requester=f.obj("requester", parse_person),
        provider=f.obj("provider", parse_person),
        pending_appointments=f.integer("pending_appointments"),
        created_at=f.moment("created_at"),
    )


def parse_appointment(data: object, where: str = "appointment") -> Appointment:
    f = _Fields(data, where)
    return Appointment(
        id=f.integer("id"),
        case_id=f.text("case_id"),
        start=f.moment("start"),
        end=f.moment("end"),
        duration_minutes=f.integer("duration_minutes"),
        timezone=f.text("timezone"),
        purpose=f.opt_text("purpose"),
        status=f.choice("status", AppointmentStatus),
        type=f.choice("type", Role),
        created_by=f.obj("created_by", parse_person),
        proposed_by=f.obj("proposed_by", parse_person),
        awaiting=f.opt_obj("awaiting", parse_person),
        requester=f.obj("requester", parse_person),
        provider=f.obj("provider", parse_person),
        reason=f.opt_text("reason"),
        version=f.integer("version"),
        created_at=f.moment("created_at"),
        updated_at=f.moment("updated_at"),
    )


def _changes(data: object, where: str) -> Mapping[str, tuple[Any, Any]]:
    if not isinstance(data, Mapping):
        raise _invalid(where, f"expected an object, got {_kind(data)}")
    changes: dict[str, tuple[Any, Any]] = {}
    for name, pair in data.items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise _invalid(f"{where}.{name}", "expected [old, new]")
        changes[str(name)] = (pair[0], pair[1])
    return changes


def parse_history_entry(data: object, where: str = "history entry") -> HistoryEntry:
    f = _Fields(data, where)
    return HistoryEntry(
        id=f.integer("id"),
        at=f.moment("at"),
        actor=f.opt_obj("actor", parse_person),
        action=f.text("action"),
        from_status=f.opt_choice("from_status", AppointmentStatus),
        to_status=f.choice("to_status", AppointmentStatus),
        changes=f.obj("changes", _changes),
        reason=f.opt_text("reason"),
    )


def parse_history(data: object, where: str = "history") -> list[HistoryEntry]:
    if not isinstance(data, list):
        raise _invalid(where, f"expected a list, got {_kind(data)}")
    return [parse_history_entry(item, f"{where}[{i}]") for i, item in enumerate(data)]


def parse_page(data: object, parse_item: Callable[[object, str], T], where: str = "page") -> Page[T]:
    f = _Fields(data, where)
    items = f.array("items")
    return Page(
        items=tuple(parse_item(item, f"{where}.items[{i}]") for i, item in enumerate(items)),
        next_cursor=f.opt_text("next_cursor"),
    )


def parse_notification(data: object, where: str = "notification") -> Notification:
    f = _Fields(data, where)
    return Notification(
        id=f.integer("id"),
        kind=f.text("kind"),
        appointment_id=f.integer("appointment_id"),
        case_id=f.text("case_id"),
        created_at=f.moment("created_at"),
        read=f.boolean("read"),
        title=f.text("title"),
        body=f.text("body"),
    )


def parse_live_event(event_id: int, event_type: str, data: object, where: str = "event") -> LiveEvent:
    """An event from its SSE fields: ``data`` is the decoded JSON, which must be an object.

    The fields named in ``LiveEvent``'s docstring must have their type when present (null counts as
    absent); anything else in the data passes through unchecked.
    """
    f = _Fields(data, where)
    for key in _EVENT_INTEGERS:
        if f.data.get(key) is not None:
            f.integer(key)
    for key in _EVENT_TEXTS:
        if f.data.get(key) is not None:
            f.text(key)
    return LiveEvent(id=event_id, type=event_type, data=MappingProxyType(dict(f.data)))


def parse_session(data: object, where: str = "sign-in") -> Session:
    f = _Fields(data, where)
    token_type = f.text("token_type") if "token_type" in f.data else "bearer"
    if token_type.lower() != "bearer":
        raise _invalid(f"{where}.token_type", f"expected 'bearer', got {token_type!r}")
    tokens = TokenPair(
        access_token=f.text("access_token"),
        refresh_token=f.text("refresh_token"),
        expires_in=f.integer("expires_in"),
    )
    return Session(tokens=tokens, user=f.obj("user", parse_user))
