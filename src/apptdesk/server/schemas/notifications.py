from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class NotificationOut(BaseModel):
    id: int
    kind: str
    appointment_id: int
    case_id: str
    created_at: datetime
    read: bool
    title: str
    body: str


class UnreadCount(BaseModel):
    count: int
