"""Route dependencies as ``Annotated`` aliases, so each route's signature says what it needs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from apptdesk.server.db.tables import User
from apptdesk.server.problems import ProblemError
from apptdesk.server.services import auth
from apptdesk.server.state import ServerState


def get_state(request: Request) -> ServerState:
    return cast(ServerState, request.app.state.apptdesk)


State = Annotated[ServerState, Depends(get_state)]


async def read_session(state: State) -> AsyncIterator[AsyncSession]:
    async with state.db.read() as session:
        yield session


async def write_session(state: State) -> AsyncIterator[AsyncSession]:
    async with state.db.write() as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(read_session)]
WriteSession = Annotated[AsyncSession, Depends(write_session)]

_bearer = HTTPBearer(auto_error=False, description="An access token from POST /auth/login.")


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def current_user(
    state: State, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise unauthorized("Sign in first: send an access token as 'Authorization: Bearer <token>'.")
    async with state.db.read() as session:
        user = await auth.user_for_access_token(session, credentials.credentials, state.now())
    if user is None:
        raise unauthorized("The access token is invalid or has expired; sign in again or refresh it.")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def resource_of(request: Request) -> str:
    """What was read, for the access log: the path and query of the request."""
    query = request.url.query
    return f"{request.url.path}?{query}" if query else request.url.path
