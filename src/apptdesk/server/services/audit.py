"""The audit trail: history entries for changes, and an access log for administrators' reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from apptdesk.server.db.engine import Database
from apptdesk.server.db.tables import AccessLogEntry, Appointment, HistoryEntry, User


def record_change(
    session: AsyncSession,
    appointment: Appointment,
    *,
    actor: User | None,
    action: str,
    from_status: str | None,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
    at: datetime,
) -> HistoryEntry:
    """Add the history entry for a change, in the caller's transaction (so both commit or neither)."""
    entry = HistoryEntry(
        appointment_id=appointment.id,
        at=at,
        actor_id=actor.id if actor else None,
        action=action,
        from_status=from_status,
        to_status=appointment.status,
        changes=changes or {},
        reason=reason,
    )
    session.add(entry)
    return entry


async def record_access(
    db: Database, user: User, resource: str, at: datetime, appointment_id: int | None
) -> None:
    """Log an administrator's read in its own short transaction, apart from the read itself."""
    async with db.write() as session:
        session.add(
            AccessLogEntry(at=at, user_id=user.id, appointment_id=appointment_id, resource=resource[:500])
        )
        await session.commit()
