"""The cases a user may see, with how many of their appointments are pending."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from apptdesk.server.db.tables import Case, User
from apptdesk.server.services import cursor as cursors
from apptdesk.server.services.visibility import visible_cases


async def page(
    session: AsyncSession, user: User, *, limit: int, cursor: str | None
) -> tuple[list[Case], str | None]:
    query = select(Case).where(visible_cases(user))
    if cursor:
        query = query.where(Case.id > cursors.decode_key(cursor))
    rows = list((await session.scalars(query.order_by(Case.id).limit(limit + 1))).unique())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, cursors.encode_key(rows[-1].id)
