from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from apptdesk.server.schemas.common import Person


class CaseOut(BaseModel):
    id: str
    title: str
    requester: Person
    provider: Person
    pending_appointments: int
    created_at: datetime
