"""What the system does on its own: complete held appointments, expire unanswered proposals.

Runs in the server (a periodic task started with the app), never in a client. Each row moves with the
same conditional update as a person's change, so a sweep racing a user's click cannot double-apply.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from apptdesk.domain import AppointmentStatus
from apptdesk.server.db.engine import Database
from apptdesk.server.db.tables import Appointment, AuthToken
from apptdesk.server.services.audit import record_change
from apptdesk.server.services.notify import announce
from apptdesk.server.state import ServerState

log = logging.getLogger(__name__)

EXPIRED_REASON = "No response before the proposed time."
_BATCH = 200
_UPKEEP_SECONDS = 3600


@dataclass(frozen=True)
class SweepResult:
    completed: int
    expired: int


async def _move(
    session: AsyncSession,
    rows: list[Appointment],
    to: AppointmentStatus,
    action: str,
    reason: str | None,
    now: datetime,
) -> int:
    moved = 0
    for appointment in rows:
        result = await session.execute(
            update(Appointment)
            .where(Appointment.id == appointment.id, Appointment.version == appointment.version)
            .values(status=to.value, reason=reason, version=Appointment.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            continue  # a person changed it meanwhile; the next sweep looks again
        from_status = appointment.status
        appointment.status = to.value
        appointment.version += 1
        record_change(
            session, appointment, actor=None, action=action, from_status=from_status, reason=reason, at=now
        )
        await announce(session, appointment, actor=None, action=action, at=now)
        moved += 1
    return moved


async def sweep(db: Database, now: datetime, grace: timedelta) -> SweepResult:
    """One pass; returns how many appointments it completed and expired."""
    completed = expired = 0
    while True:
        async with db.write() as session:
            done = list(
                await session.scalars(
                    select(Appointment)
                    .where(
                        Appointment.status == AppointmentStatus.ACCEPTED.value,
                        Appointment.end_at <= now - grace,
                    )
                    .limit(_BATCH)
                )
            )
            stale = list(
                await session.scalars(
                    select(Appointment)
                    .where(Appointment.status == AppointmentStatus.PENDING.value, Appointment.start_at <= now)
                    .limit(_BATCH)
                )
            )
            c = await _move(session, done, AppointmentStatus.COMPLETED, "completed", None, now)
            e = await _move(session, stale, AppointmentStatus.CANCELED, "expired", EXPIRED_REASON, now)
            await session.commit()
        completed += c
        expired += e
        if len(done) < _BATCH and len(stale) < _BATCH:
            return SweepResult(completed, expired)


async def forget_expired_tokens(db: Database, now: datetime) -> None:
    """Expired tokens can never be used again; keep the table small."""
    async with db.write() as session:
        await session.execute(delete(AuthToken).where(AuthToken.expires_at < now - timedelta(days=1)))
        await session.commit()


async def run_forever(state: ServerState) -> None:
    grace = timedelta(minutes=state.settings.completion_grace_minutes)
    last_upkeep = float("-inf")
    while True:
        try:
            result = await sweep(state.db, state.now(), grace)
            if time.monotonic() - last_upkeep > _UPKEEP_SECONDS:
                await forget_expired_tokens(state.db, state.now())
                await state.db.optimize()
                last_upkeep = time.monotonic()
            if result.completed or result.expired:
                log.info("lifecycle sweep", extra={"completed": result.completed, "expired": result.expired})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("lifecycle sweep failed; will retry")
        await asyncio.sleep(state.settings.sweep_interval_seconds)
