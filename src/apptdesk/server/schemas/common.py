"""Types shared by the request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from apptdesk.domain import Role
from apptdesk.domain.zones import is_valid_zone


def _rfc3339(value: Any) -> datetime:
    # Only text (or a datetime built in Python): pydantic would take a bare number as a Unix timestamp.
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("must include a UTC offset")
        return value
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date and time string, e.g. 2026-12-01T09:30:00+01:00")
    text = value.strip()
    if "T" not in text.upper() and " " not in text:
        raise ValueError("must include a time, e.g. 2026-12-01T09:30:00+01:00")
    try:
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError("must be an RFC 3339 date and time, e.g. 2026-12-01T09:30:00+01:00") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("must include a UTC offset, e.g. 2026-12-01T09:30:00+01:00 or ...Z")
    return parsed


AwareDateTime = Annotated[datetime, BeforeValidator(_rfc3339)]


def _iana_zone(value: Any) -> str:
    if not is_valid_zone(value):
        raise ValueError(f"{value!r} is not a known IANA time zone name, e.g. Europe/Berlin")
    assert isinstance(value, str)
    return value


TimeZoneName = Annotated[str, BeforeValidator(_iana_zone)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL; refuse it on every backend alike.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class Person(BaseModel):
    id: int
    name: str
    role: Role


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    timezone: str


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a keyset-paginated list: pass ``next_cursor`` back as ``cursor`` for the next."""

    items: list[T]
    next_cursor: str | None = Field(description="Opaque; null on the last page.")
