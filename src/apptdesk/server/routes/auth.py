"""POST /auth/login, /auth/refresh, /auth/logout."""

from __future__ import annotations

import time
from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials

from apptdesk.server.db.tables import AuthSession, User
from apptdesk.server.deps import CurrentUser, State, WriteSession, _bearer, client_address, unauthorized
from apptdesk.server.problems import ProblemError, problem_responses
from apptdesk.server.schemas.auth import LoginIn, RefreshIn, TokenOut
from apptdesk.server.services import auth
from apptdesk.server.services.notify import mark_announced
from apptdesk.server.services.present import user_out

router = APIRouter(prefix="/auth", tags=["auth"])

BAD_LOGIN = "The email or password is not correct."


def _tokens(state: State, access: str, refresh: str, user: User, auth_session: AuthSession) -> TokenOut:
    # Near the end of a sign-in the access token lives only as long as the sign-in itself.
    left = (auth_session.expires_at - state.now()).total_seconds()
    return TokenOut(
        access_token=access,
        refresh_token=refresh,
        expires_in=max(0, int(min(state.settings.access_token_minutes * 60, left))),
        user=user_out(user),
    )


@router.post("/login", response_model=TokenOut, responses=problem_responses(400, 401, 422, 429))
async def login(body: LoginIn, request: Request, state: State, session: WriteSession) -> TokenOut:
    account, client = body.email.strip().lower(), client_address(request)
    wait = state.throttle.retry_after(account, client, time.monotonic())
    if wait:
        raise ProblemError(
            429,
            f"Too many failed sign-in attempts. Try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )
    user = await auth.user_by_email(session, account)
    ok = await run_in_threadpool(state.passwords.verify, user.password_hash if user else None, body.password)
    if user is None or not ok:
        state.throttle.failed(account, client, time.monotonic())
        raise unauthorized(BAD_LOGIN)
    state.throttle.succeeded(account)
    if state.passwords.needs_rehash(user.password_hash):
        user.password_hash = await run_in_threadpool(state.passwords.hash, body.password)
    now = state.now()
    auth_session = await auth.start_session(session, user, now, timedelta(hours=state.settings.session_hours))
    access, refresh = await auth.issue_tokens(
        session, auth_session, now, timedelta(minutes=state.settings.access_token_minutes)
    )
    await session.commit()
    return _tokens(state, access, refresh, user, auth_session)


@router.post("/refresh", response_model=TokenOut, responses=problem_responses(400, 401, 422))
async def refresh(body: RefreshIn, state: State, session: WriteSession) -> TokenOut:
    now = state.now()
    rotated = await auth.rotate_refresh_token(session, body.refresh_token, now)
    if rotated is None:
        await session.commit()  # keeps a revocation made on reuse
        raise unauthorized("The sign-in has expired or was ended; sign in again.")
    auth_session, user = rotated
    access, new_refresh = await auth.issue_tokens(
        session, auth_session, now, timedelta(minutes=state.settings.access_token_minutes)
    )
    await session.commit()
    return _tokens(state, access, new_refresh, user, auth_session)


@router.post("/logout", status_code=204, response_class=Response, responses=problem_responses(401))
async def logout(request: Request, user: CurrentUser, state: State, session: WriteSession) -> Response:
    credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
    assert credentials is not None  # CurrentUser already required it
    auth_session = await auth.session_for_access_token(session, credentials.credentials)
    if auth_session is not None and auth_session.user_id == user.id:
        await auth.revoke(session, auth_session.id, state.now())
        await mark_announced(session, [user.id])  # this person's open streams look again, and end
        await session.commit()
    return Response(status_code=204)
