"""A person's own notifications: list, count unread, mark read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from apptdesk.server.db.tables import Notification, User, UserEvent
from apptdesk.server.problems import ProblemError
from apptdesk.server.services import cursor as cursors
from apptdesk.server.services.notify import mark_announced, serialize_events


async def page(
    session: AsyncSession, user: User, *, unread_only: bool, limit: int, cursor: str | None
) -> tuple[list[Notification], str | None]:
    """Newest first."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if cursor:
        query = query.where(Notification.id < cursors.decode_id(cursor))
    rows = list(await session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, cursors.encode_id(rows[-1].id)


async def unread_count(session: AsyncSession, user: User) -> int:
    count = await session.scalar(
        select(func.count()).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def mark_read(session: AsyncSession, user: User, notification_id: int, now: datetime) -> Notification:
    notification = await session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise ProblemError(404, "Notification not found.")
    if notification.read_at is None:
        notification.read_at = now
        await _tell_other_windows(session, user, now, [notification.id])
    await session.commit()
    return notification


async def mark_all_read(session: AsyncSession, user: User, now: datetime) -> int:
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    marked = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if marked:
        await _tell_other_windows(session, user, now, None)
    await session.commit()
    return marked


async def _tell_other_windows(
    session: AsyncSession, user: User, now: datetime, ids: list[int] | None
) -> None:
    # The person's other open windows drop the same badges.
    await serialize_events(session)
    await session.flush()
    data: dict[str, object] = {"unread_count": await unread_count(session, user)}
    data["notification_ids" if ids is not None else "all"] = ids if ids is not None else True
    session.add(UserEvent(user_id=user.id, type="notification.read", data=data, created_at=now))
    await mark_announced(session, [user.id])
