"""GET /events: the signed-in user's live stream (Server-Sent Events), replayable with Last-Event-ID.

Events come from the per-user event log in the database, never from memory: a reconnect with
``Last-Event-ID`` gets exactly what it missed. The stream ends when the access token does (the
client reconnects with a fresh one), and sends a comment every ``event_ping_seconds`` to keep the
connection and the client's read timeout alive.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import func, select

from apptdesk.server.db.tables import User, UserEvent
from apptdesk.server.deps import CurrentUser, State, _bearer
from apptdesk.server.problems import ProblemError, problem_responses
from apptdesk.server.services import auth
from apptdesk.server.state import ServerState

router = APIRouter(tags=["events"])
BATCH = 200
# Event ids are 32-bit on PostgreSQL: a larger one was never sent, and would break the query mid-stream.
MAX_EVENT_ID = 2**31 - 1


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "The stream"},
        **problem_responses(400, 401),
    },
)
async def events(
    request: Request,
    user: CurrentUser,
    state: State,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_EVENT_ID, description="Same as Last-Event-ID.")] = None,
) -> StreamingResponse:
    async with state.db.read() as session:
        newest = int(await session.scalar(select(func.max(UserEvent.id))) or 0)
    # No position: from now. A position beyond the newest event (kept across a restore, say) is one
    # this server never sent: start from now too, rather than stay silent until ids pass it.
    start = _start(last_event_id, after)
    start = newest if start is None else min(start, newest)
    credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
    assert credentials is not None  # CurrentUser required it
    return StreamingResponse(
        _stream(request, state, user, credentials.credentials, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _start(header: str | None, query: int | None) -> int | None:
    value = (header or "").strip()
    if value:
        # ASCII digits only (isdigit() alone takes "²", which int() refuses), and in the id range.
        digits = value.isascii() and value.isdigit() and len(value) <= len(str(MAX_EVENT_ID))
        if not digits or int(value) > MAX_EVENT_ID:
            raise ProblemError(400, "Last-Event-ID must be the id of an event this stream sent.")
        return int(value)
    return query


async def _stream(
    request: Request, state: ServerState, user: User, token: str, last: int
) -> AsyncIterator[str]:
    # Where this stream starts: a client that drops before the first event still resumes from here.
    yield f"retry: 2000\nid: {last}\n\n"
    ping = state.settings.event_ping_seconds
    while not state.hub.closed:
        waiter = state.hub.waiter(user.id)  # before reading: a commit for us from here on wakes us
        async with state.db.read() as session:
            if await auth.user_for_access_token(session, token, state.now()) is None:
                yield ": the access token expired or was revoked; reconnect with a fresh one\n\n"
                return
            rows = list(
                await session.scalars(
                    select(UserEvent)
                    .where(UserEvent.user_id == user.id, UserEvent.id > last)
                    .order_by(UserEvent.id)
                    .limit(BATCH)
                )
            )
        for row in rows:
            last = row.id
            yield f"id: {row.id}\nevent: {row.type}\ndata: {json.dumps(row.data, separators=(',', ':'))}\n\n"
        if len(rows) == BATCH:
            continue
        if await request.is_disconnected():
            return
        try:
            await asyncio.wait_for(waiter.wait(), timeout=ping)
        except TimeoutError:
            yield ": ping\n\n"
