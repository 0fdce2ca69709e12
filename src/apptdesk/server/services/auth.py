"""Sign-in, token refresh with rotation, sign-out, and resolving an access token to its user."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from apptdesk.server.db.tables import AuthSession, AuthToken, User
from apptdesk.server.security.tokens import ACCESS_PREFIX, REFRESH_PREFIX, digest, new_token


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def user_for_access_token(session: AsyncSession, token: str, now: datetime) -> User | None:
    if not token.startswith(ACCESS_PREFIX):
        return None
    return await session.scalar(
        select(User)
        .join(AuthSession, AuthSession.user_id == User.id)
        .join(AuthToken, AuthToken.session_id == AuthSession.id)
        .where(
            AuthToken.token_hash == digest(token),
            AuthToken.kind == "access",
            AuthToken.expires_at > now,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
    )


async def session_for_access_token(session: AsyncSession, token: str) -> AuthSession | None:
    return await session.scalar(
        select(AuthSession)
        .join(AuthToken, AuthToken.session_id == AuthSession.id)
        .where(AuthToken.token_hash == digest(token), AuthToken.kind == "access")
    )


async def start_session(session: AsyncSession, user: User, now: datetime, lifetime: timedelta) -> AuthSession:
    auth_session = AuthSession(user_id=user.id, created_at=now, expires_at=now + lifetime, revoked_at=None)
    session.add(auth_session)
    await session.flush()
    return auth_session


async def issue_tokens(
    session: AsyncSession, auth_session: AuthSession, now: datetime, access_ttl: timedelta
) -> tuple[str, str]:
    """A fresh access and refresh token pair in ``auth_session``. The plain tokens are never stored."""
    access, refresh = new_token(ACCESS_PREFIX), new_token(REFRESH_PREFIX)
    session.add_all(
        [
            AuthToken(
                session_id=auth_session.id,
                kind="access",
                token_hash=digest(access),
                expires_at=min(now + access_ttl, auth_session.expires_at),
            ),
            AuthToken(
                session_id=auth_session.id,
                kind="refresh",
                token_hash=digest(refresh),
                expires_at=auth_session.expires_at,
            ),
        ]
    )
    await session.flush()
    return access, refresh


async def rotate_refresh_token(
    session: AsyncSession, refresh_token: str, now: datetime
) -> tuple[AuthSession, User] | None:
    """Spend a refresh token once. A token presented twice revokes its whole sign-in (theft signal)."""
    if not refresh_token.startswith(REFRESH_PREFIX):
        return None
    row = (
        await session.execute(
            select(AuthToken, AuthSession, User)
            .join(AuthSession, AuthToken.session_id == AuthSession.id)
            .join(User, AuthSession.user_id == User.id)
            .where(AuthToken.token_hash == digest(refresh_token), AuthToken.kind == "refresh")
        )
    ).one_or_none()
    if row is None:
        return None
    token, auth_session, user = row
    if auth_session.revoked_at is not None or auth_session.expires_at <= now:
        return None
    spent = await session.execute(
        update(AuthToken).where(AuthToken.id == token.id, AuthToken.used_at.is_(None)).values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        await revoke(session, auth_session.id, now)
        return None
    return auth_session, user


async def revoke(session: AsyncSession, auth_session_id: int, now: datetime) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == auth_session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
