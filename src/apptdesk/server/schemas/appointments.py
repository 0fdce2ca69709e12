from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from apptdesk.domain import AppointmentStatus, Limits, Role
from apptdesk.server.schemas.common import AwareDateTime, Input, Person, TimeZoneName


class AppointmentCreate(Input):
    start: AwareDateTime = Field(description="RFC 3339 with offset; must be in the future.")
    duration_minutes: int = Field(
        default=Limits.DURATION_DEFAULT_MINUTES,
        ge=Limits.DURATION_MIN_MINUTES,
        le=Limits.DURATION_MAX_MINUTES,
    )
    purpose: str | None = Field(default=None, max_length=Limits.PURPOSE_MAX_CHARS)
    timezone: TimeZoneName | None = Field(default=None, description="IANA zone; default: the creator's.")


class AppointmentPatch(Input):
    """Only the fields sent are changed; ``purpose: null`` clears the purpose."""

    start: AwareDateTime | None = None
    duration_minutes: int | None = Field(
        default=None, ge=Limits.DURATION_MIN_MINUTES, le=Limits.DURATION_MAX_MINUTES
    )
    purpose: str | None = Field(default=None, max_length=Limits.PURPOSE_MAX_CHARS)


class ReasonIn(Input):
    reason: str | None = Field(default=None, max_length=Limits.REASON_MAX_CHARS)


class AppointmentOut(BaseModel):
    id: int
    case_id: str
    start: datetime
    end: datetime
    duration_minutes: int
    timezone: str
    purpose: str | None
    status: AppointmentStatus
    type: Role = Field(description="Role of the participant who requested it: requester or provider.")
    created_by: Person
    proposed_by: Person = Field(description="Who proposed the current time (changes on reschedule).")
    awaiting: Person | None = Field(description="Whose answer is awaited; null unless pending.")
    requester: Person
    provider: Person
    reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class HistoryEntryOut(BaseModel):
    id: int
    at: datetime
    actor: Person | None = Field(description="null: the system.")
    action: str
    from_status: AppointmentStatus | None
    to_status: AppointmentStatus
    changes: dict[str, Any] = Field(description="field -> [old, new]")
    reason: str | None
