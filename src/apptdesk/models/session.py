"""The signed-in session, as the views see it: one API client, the user, and what just changed.

Views call these methods instead of touching HTTP; each change of an appointment is announced once
(``appointmentChanged``) so every open table can update that row in place.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import date, datetime

from PySide6.QtCore import QObject, Signal

from apptdesk.api import UNSET, ApiClient, Appointment, Case, HistoryEntry, Notification, Page, Session, User
from apptdesk.api.errors import Unauthorized
from apptdesk.desktop.credentials import NO_KEYRING_NOTE, CredentialStore
from apptdesk.domain import AppointmentStatus

log = logging.getLogger(__name__)


class AppSession(QObject):
    signedIn = Signal(object)  # User
    signedOut = Signal()  # the user signed out
    sessionEnded = Signal()  # the sign-in expired or was revoked: ask for the password again
    appointmentChanged = Signal(object)  # Appointment, after any change made here
    noteChanged = Signal(str)  # e.g. that the sign-in will not be remembered

    def __init__(self, credentials: CredentialStore | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.credentials = credentials or CredentialStore()
        self.api: ApiClient | None = None
        self.server_url: str | None = None
        self.remember = False
        self.note = ""
        self._pending: asyncio.Future[None] | None = None  # the latest keyring write

    # --- connection and sign-in -------------------------------------------------------------------
    def connect_to(self, server_url: str) -> None:
        """Point at a server; the one HTTP client lives until the URL changes or the app closes."""
        if self.api is not None and self.server_url == server_url:
            return
        if self.api is not None:
            old = self.api
            old.on_session_ended = None
            old.on_tokens_changed = None
            _close_later(old)
        self.server_url = server_url
        self.api = ApiClient(server_url)
        self.api.on_session_ended = self._session_ended
        self.api.on_tokens_changed = self._tokens_changed

    @property
    def user(self) -> User | None:
        return self.api.user if self.api else None

    def require_user(self) -> User:
        user = self.user
        if user is None:
            raise Unauthorized(401, "Unauthorized", "Not signed in.", {})
        return user

    def _client(self) -> ApiClient:
        if self.api is None:
            raise RuntimeError("no server chosen yet")
        return self.api

    async def sign_in(self, email: str, password: str, remember: bool) -> User:
        session = await self._client().login(email, password)
        self.remember = remember
        await self._store(session.tokens.refresh_token)
        if not remember:
            await self.credentials.forget(self._url())
        self.signedIn.emit(session.user)
        return session.user

    async def resume(self) -> User | None:
        """Sign in again with a remembered refresh token, if there is one that still works."""
        remembered = await self.credentials.load(self._url())
        if remembered is None:
            return None
        try:
            session: Session = await self._client().resume(remembered.refresh_token)
        except Unauthorized:
            await self.credentials.forget(self._url())
            return None
        self.remember = True
        await self._store(session.tokens.refresh_token)
        self.signedIn.emit(session.user)
        return session.user

    async def unlock(self, password: str) -> User:
        """Re-enter the password after the idle lock: a fresh sign-in for the same person."""
        user = self.require_user()
        previous = self._client()
        session = await previous.login(user.email, password)
        await self._store(session.tokens.refresh_token)
        return session.user

    async def sign_out(self) -> None:
        api = self._client()
        try:
            await api.logout()
        finally:
            await self.credentials.forget(self._url())
            self.remember = False
            self.signedOut.emit()

    async def close(self) -> None:
        if self.api is not None:
            await self.api.aclose()

    def _url(self) -> str:
        if self.server_url is None:
            raise RuntimeError("no server chosen yet")
        return self.server_url

    async def _store(self, refresh_token: str) -> None:
        user = self.user
        if not self.remember or user is None:
            return
        stored = await self.credentials.save(self._url(), user.email, refresh_token)
        self._set_note("" if stored else NO_KEYRING_NOTE)

    def _tokens_changed(self, refresh_token: str | None) -> None:
        # Called by the API client after every silent refresh: keep the keyring current.
        if refresh_token is not None and self.remember:
            self._pending = asyncio.ensure_future(self._store(refresh_token))

    def _session_ended(self) -> None:
        self.sessionEnded.emit()

    def _set_note(self, note: str) -> None:
        if note != self.note:
            self.note = note
            self.noteChanged.emit(note)

    # --- reading -----------------------------------------------------------------------------------
    async def cases(self, cursor: str | None) -> Page[Case]:
        return await self._client().cases(cursor=cursor, limit=200)

    async def case(self, case_id: str) -> Case:
        return await self._client().case(case_id)

    async def case_appointments(self, case_id: str, cursor: str | None) -> Page[Appointment]:
        return await self._client().case_appointments(case_id, cursor=cursor, limit=200)

    async def appointments(
        self,
        cursor: str | None,
        *,
        statuses: Iterable[AppointmentStatus] = (),
        case_id: str | None = None,
        date_from: date | datetime | None = None,
        date_to: date | datetime | None = None,
        text: str | None = None,
    ) -> Page[Appointment]:
        return await self._client().appointments(
            status=list(statuses) or None,
            case_id=case_id or None,
            date_from=date_from,
            date_to=date_to,
            q=text or None,
            cursor=cursor,
            limit=200,
        )

    async def appointment(self, appointment_id: int) -> Appointment:
        appointment = await self._client().appointment(appointment_id)
        self.appointmentChanged.emit(appointment)
        return appointment

    async def history(self, appointment: Appointment) -> list[HistoryEntry]:
        return await self._client().history(appointment)

    async def inbox(self) -> tuple[list[Notification], int]:
        """The latest notifications (up to 200) and how many are unread."""
        api = self._client()
        page = await api.notifications(limit=200)
        return list(page.items), await api.unread_count()

    async def mark_read(self, notification_ids: Iterable[int]) -> None:
        for notification_id in notification_ids:
            await self._client().mark_read(notification_id)

    async def mark_all_read(self) -> int:
        return await self._client().mark_all_read()

    # --- changing ----------------------------------------------------------------------------------
    def _changed(self, appointment: Appointment) -> Appointment:
        self.appointmentChanged.emit(appointment)
        return appointment

    async def request(
        self, case_id: str, start: datetime, duration_minutes: int, purpose: str | None, timezone: str | None
    ) -> Appointment:
        created = await self._client().create_appointment(
            case_id, start, duration_minutes=duration_minutes, purpose=purpose, timezone=timezone
        )
        return self._changed(created)

    async def update(
        self,
        appointment: Appointment,
        *,
        start: datetime | None = None,
        duration_minutes: int | None = None,
        purpose: str | None = None,
        change_purpose: bool = False,
    ) -> Appointment:
        updated = await self._client().update_appointment(
            appointment,
            start=start,
            duration_minutes=duration_minutes,
            purpose=purpose if change_purpose else UNSET,
        )
        return self._changed(updated)

    # Each sends the version the user saw as If-Match: a click on a stale row fails, it never acts
    # on an appointment someone else changed meanwhile.
    async def accept(self, appointment: Appointment) -> Appointment:
        return self._changed(await self._client().accept(appointment))

    async def reject(self, appointment: Appointment, reason: str | None) -> Appointment:
        return self._changed(await self._client().reject(appointment, reason))

    async def cancel(self, appointment: Appointment, reason: str | None) -> Appointment:
        return self._changed(await self._client().cancel(appointment, reason))

    async def complete(self, appointment: Appointment) -> Appointment:
        return self._changed(await self._client().complete(appointment))


def _close_later(api: ApiClient) -> None:
    try:
        asyncio.get_running_loop().create_task(api.aclose())
    except RuntimeError:
        log.debug("no running loop to close the previous API client")
