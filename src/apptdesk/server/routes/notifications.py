"""GET /notifications, /notifications/unread-count; POST /notifications/{id}/read, /read-all."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from apptdesk.server.db.tables import Notification
from apptdesk.server.deps import CurrentUser, ReadSession, State, WriteSession
from apptdesk.server.problems import problem_responses
from apptdesk.server.routes.query import Cursor
from apptdesk.server.schemas.common import Page
from apptdesk.server.schemas.notifications import NotificationOut, UnreadCount
from apptdesk.server.services import notifications

router = APIRouter(prefix="/notifications", tags=["notifications"])


def _out(notification: Notification) -> NotificationOut:
    return NotificationOut(
        id=notification.id,
        kind=notification.kind,
        appointment_id=notification.appointment_id,
        case_id=notification.case_id,
        created_at=notification.created_at,
        read=notification.read_at is not None,
        title=notification.title,
        body=notification.body,
    )


@router.get("", response_model=Page[NotificationOut], responses=problem_responses(401, 422))
async def list_notifications(
    user: CurrentUser,
    session: ReadSession,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Cursor = None,
) -> Page[NotificationOut]:
    rows, next_cursor = await notifications.page(
        session, user, unread_only=unread_only, limit=limit, cursor=cursor
    )
    return Page(items=[_out(n) for n in rows], next_cursor=next_cursor)


@router.get("/unread-count", response_model=UnreadCount, responses=problem_responses(401))
async def unread_count(user: CurrentUser, session: ReadSession) -> UnreadCount:
    return UnreadCount(count=await notifications.unread_count(session, user))


@router.post("/read-all", response_model=UnreadCount, responses=problem_responses(401))
async def read_all(user: CurrentUser, state: State, session: WriteSession) -> UnreadCount:
    """Mark every notification read; answers how many were marked."""
    return UnreadCount(count=await notifications.mark_all_read(session, user, state.now()))


@router.post(
    "/{notification_id}/read", response_model=NotificationOut, responses=problem_responses(401, 404, 422)
)
async def read_one(
    notification_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: CurrentUser,
    state: State,
    session: WriteSession,
) -> NotificationOut:
    return _out(await notifications.mark_read(session, user, notification_id, state.now()))
