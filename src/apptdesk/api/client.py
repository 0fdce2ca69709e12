"""The client's async HTTP layer: one long-lived ``httpx.AsyncClient``, typed results, silent refresh.

Every failure surfaces as an ``ApiError`` subclass (see ``errors``). When an access token has expired,
the first call to notice refreshes it once, under a lock, and every waiting call retries with the new
one; when the sign-in itself has ended, ``on_session_ended`` fires and the call raises ``Unauthorized``.

Logs carry the method, path, status and duration of each request, never tokens, passwords, bodies or
query strings (a search may hold a patient's name).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import date, datetime
from types import TracebackType
from typing import Any, Final, TypeVar
from urllib.parse import quote

import httpx

from apptdesk import __version__
from apptdesk.api.errors import (
    ApiError,
    InvalidResponse,
    Unauthorized,
    error_from_response,
    error_from_transport,
)
from apptdesk.api.types import (
    Appointment,
    Case,
    HistoryEntry,
    Notification,
    Page,
    Session,
    User,
    parse_appointment,
    parse_case,
    parse_history,
    parse_notification,
    parse_page,
    parse_session,
    parse_user,
)
from apptdesk.domain import AppointmentStatus, Limits

__all__ = ["API_PREFIX", "DEFAULT_TIMEOUT", "UNSET", "ApiClient"]

log = logging.getLogger(__name__)

API_PREFIX: Final = "/api/v1"
DEFAULT_TIMEOUT: Final = httpx.Timeout(20.0, connect=5.0)
# Upper bound on pages followed by the all_* helpers: a loop guard, far beyond any real list.
MAX_PAGES: Final = 10_000

T = TypeVar("T")
Json = Any
Params = list[tuple[str, str | int | float | bool | None]]  # what httpx accepts
EventHook = Callable[..., Any]


class _Unset:
    """Marks an argument not given (so ``purpose=None`` can mean "clear the purpose")."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = _Unset()


def _id_of(appointment: Appointment | int) -> int:
    return appointment.id if isinstance(appointment, Appointment) else appointment


def _segment(value: str | int) -> str:
    return quote(str(value), safe="")


def _aware(moment: datetime, name: str) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment.isoformat()


def _date_param(value: date | datetime, name: str) -> str:
    if isinstance(value, datetime):
        return _aware(value, name)
    return value.isoformat()


def _statuses(status: Iterable[AppointmentStatus] | AppointmentStatus | None) -> list[str]:
    if status is None:
        return []
    if isinstance(status, AppointmentStatus):
        return [status.value]
    return sorted({AppointmentStatus(s).value for s in status})


def _if_match(appointment: Appointment | int, if_match: int | None) -> dict[str, str]:
    """If-Match for ``if_match``, else for the version of a given ``Appointment``; none for a bare id."""
    version = if_match
    if version is None and isinstance(appointment, Appointment):
        version = appointment.version
    return {} if version is None else {"If-Match": f'"{version}"'}


class ApiClient:
    """The apptdesk API, signed in as one user at a time.

    ``base_url`` is the server's address (``http://127.0.0.1:8765``); ``/api/v1`` is added unless present.
    Use as ``async with ApiClient(url) as api: ...`` or call ``aclose()`` when done.

    Callbacks, set by the application (plain callables, called on the event loop's thread):

    - ``on_tokens_changed(refresh_token)``: after sign-in and every refresh, with the new refresh token
      (to keep it in the keyring); with None when the sign-in ends or the user signs out.
    - ``on_session_ended()``: the sign-in expired or was revoked; the user must sign in again.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        event_hooks: Mapping[str, list[EventHook]] | None = None,
    ) -> None:
        root = base_url.rstrip("/")
        if not root.endswith(API_PREFIX):
            root += API_PREFIX
        self.base_url = root
        self._http = httpx.AsyncClient(
            base_url=root,
            timeout=timeout,
            transport=transport,
            event_hooks=dict(event_hooks or {}),
            headers={"Accept": "application/json", "User-Agent": f"apptdesk/{__version__}"},
            follow_redirects=False,
        )
        self._access_token: str | None = None
        self._refresh_token: str | None = None
        self._user: User | None = None
        self._refresh_lock = asyncio.Lock()
        self._refresh_task: asyncio.Task[Session] | None = None
        self.on_tokens_changed: Callable[[str | None], None] | None = None
        self.on_session_ended: Callable[[], None] | None = None

    # --- lifetime -------------------------------------------------------------------------------

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections. Does not sign out: the refresh token stays valid for a later start."""
        await self._http.aclose()

    @property
    def is_closed(self) -> bool:
        return self._http.is_closed

    # --- state ----------------------------------------------------------------------------------

    @property
    def user(self) -> User | None:
        """Who is signed in (None before sign-in and after it ended)."""
        return self._user

    @property
    def is_signed_in(self) -> bool:
        return self._access_token is not None

    @property
    def refresh_token(self) -> str | None:
        return self._refresh_token

    def _notify_tokens(self, refresh_token: str | None) -> None:
        if self.on_tokens_changed is not None:
            try:
                self.on_tokens_changed(refresh_token)
            except Exception:
                log.exception("on_tokens_changed failed")

    def _adopt(self, session: Session) -> Session:
        self._access_token = session.tokens.access_token
        self._refresh_token = session.tokens.refresh_token
        self._user = session.user
        self._notify_tokens(session.tokens.refresh_token)
        return session

    def _forget(self) -> bool:
        """Drop the tokens; True if there was a sign-in to drop."""
        had = self._access_token is not None or self._refresh_token is not None
        self._access_token = self._refresh_token = None
        self._user = None
        return had

    def _end_session(self) -> None:
        if not self._forget():
            return  # already ended: tell the application once
        log.info("the sign-in has ended")
        self._notify_tokens(None)
        if self.on_session_ended is not None:
            try:
                self.on_session_ended()
            except Exception:
                log.exception("on_session_ended failed")

    # --- transport ------------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Json = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        """One request; transport failures become ``ServerUnavailable``. Logs no secrets."""
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        content = None
        if body is not None:
            content = json.dumps(body, separators=(",", ":")).encode()
            all_headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            response = await self._http.request(
                method, path, params=params, content=content, headers=all_headers
            )
        except httpx.HTTPError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            log.warning("%s %s failed after %.0f ms: %s", method, path, elapsed, type(exc).__name__)
            raise error_from_transport(exc) from exc
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s -> %d in %.0f ms", method, path, response.status_code, elapsed)
        return response

    @staticmethod
    def _json(response: httpx.Response) -> Json:
        if response.status_code >= 400:
            raise error_from_response(response)
        if not response.content:
            return None
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise InvalidResponse(
                response.status_code, "Invalid response", "the answer is not valid JSON"
            ) from None

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Json = None,
        headers: Mapping[str, str] | None = None,
    ) -> Json:
        """An authenticated call: on 401, refresh once (shared with concurrent callers) and retry."""
        token = self._access_token
        if token is None:
            raise Unauthorized(None, "Not signed in", "no sign-in", user_message="Please sign in first.")
        response = await self._send(method, path, params=params, body=body, headers=headers, token=token)
        if response.status_code == 401:
            await self._refreshed(stale_token=token)
            retry_token = self._access_token
            if retry_token is None:  # signed out meanwhile
                raise Unauthorized(None, "Not signed in", "signed out", user_message="Please sign in first.")
            response = await self._send(
                method, path, params=params, body=body, headers=headers, token=retry_token
            )
            if response.status_code == 401:
                # A token fresh from the server refused at once: the sign-in was revoked meanwhile.
                error = error_from_response(response)
                self._end_session()
                raise error
        return self._json(response)

    @asynccontextmanager
    async def _open_stream(
        self, path: str, *, headers: Mapping[str, str], timeouts: httpx.Timeout
    ) -> AsyncIterator[httpx.Response]:
        """An authenticated streaming GET, for the live stream (``apptdesk.api.live``).

        Yields the open response once its status is below 400, and closes it on leaving. Failures
        are raised as in ``_call``: on 401 the tokens are refreshed once (shared with concurrent
        callers) and the request is repeated; a fresh token refused at once ends the sign-in;
        ``Unauthorized`` when not signed in or when the sign-in has ended (``on_session_ended`` has
        then fired); other answers >= 400 as their ``ApiError``; transport failures as
        ``ServerUnavailable``. Failures while reading the body are the caller's to translate.
        """
        token = self._access_token
        if token is None:
            raise Unauthorized(None, "Not signed in", "no sign-in", user_message="Please sign in first.")
        refreshed = False
        while True:
            async with self._stream_once(path, headers, timeouts, token) as response:
                if response.status_code < 400:
                    yield response
                    return
                await response.aread()
                error = error_from_response(response)
                if response.status_code != 401:
                    raise error
                if refreshed:
                    # A token fresh from the server refused at once: the sign-in was revoked meanwhile.
                    self._end_session()
                    raise error
            await self._refreshed(stale_token=token)
            refreshed = True
            retry_token = self._access_token
            if retry_token is None:  # signed out meanwhile
                raise Unauthorized(None, "Not signed in", "signed out", user_message="Please sign in first.")
            token = retry_token

    @asynccontextmanager
    async def _stream_once(
        self, path: str, headers: Mapping[str, str], timeouts: httpx.Timeout, token: str
    ) -> AsyncIterator[httpx.Response]:
        all_headers = {**headers, "Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        try:
            request = self._http.build_request("GET", path, headers=all_headers, timeout=timeouts)
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            log.warning("GET %s (stream) failed after %.0f ms: %s", path, elapsed, type(exc).__name__)
            raise error_from_transport(exc) from exc
        elapsed = (time.perf_counter() - started) * 1000
        log.info("GET %s (stream) -> %d in %.0f ms", path, response.status_code, elapsed)
        try:
            yield response
        finally:
            await response.aclose()
            if response.status_code < 400:
                log.info("GET %s (stream) closed after %.1f s", path, time.perf_counter() - started)

    # --- tokens ---------------------------------------------------------------------------------

    async def _refreshed(self, stale_token: str | None) -> Session | None:
        """Refresh the tokens at most once for everyone who found ``stale_token`` refused.

        Concurrent callers queue on the lock; the first refreshes, the rest find a newer access token
        and return None at once. ``stale_token`` None forces a refresh. The refresh itself is shielded:
        a caller cancelled mid-refresh does not abandon a refresh token the server has already spent
        (presenting it again would end the sign-in), and later callers wait for that same refresh.
        """
        async with self._refresh_lock:
            task = self._refresh_task
            if task is None or task.done():
                if stale_token is not None and self._access_token not in (None, stale_token):
                    return None  # someone else refreshed while this call waited
                if self._refresh_token is None:
                    if stale_token is not None:
                        self._end_session()
                    raise Unauthorized(None, "Not signed in", "no refresh token")
                task = asyncio.ensure_future(self._perform_refresh(self._refresh_token))
                task.add_done_callback(_consume)
                self._refresh_task = task
            return await asyncio.shield(task)

    async def _perform_refresh(self, refresh_token: str) -> Session:
        response = await self._send("POST", "/auth/refresh", body={"refresh_token": refresh_token})
        if response.status_code in (400, 401, 422):
            error = error_from_response(response)
            if self._refresh_token == refresh_token:
                self._end_session()
            raise (
                error
                if isinstance(error, Unauthorized)
                else Unauthorized(error.status, error.title, error.detail, error.problem)
            )
        session = parse_session(self._json(response))
        if self._refresh_token != refresh_token:
            # Signed out (or in as someone else) while this refresh ran: do not revive the old sign-in.
            raise Unauthorized(None, "Signed out", "the sign-in changed during a refresh")
        return self._adopt(session)

    # --- auth -----------------------------------------------------------------------------------

    async def login(self, email: str, password: str) -> Session:
        """Sign in. A wrong email or password raises ``Unauthorized`` with the server's wording."""
        response = await self._send("POST", "/auth/login", body={"email": email, "password": password})
        if response.status_code == 401:
            error = error_from_response(response)
            raise Unauthorized(
                error.status,
                error.title,
                error.detail,
                error.problem,
                user_message=error.detail or "The email or password is not correct.",
            )
        session = parse_session(self._json(response))
        self._forget()
        return self._adopt(session)

    async def resume(self, refresh_token: str) -> Session:
        """Sign in from a stored refresh token (e.g. from the keyring) at start-up.

        Raises ``Unauthorized`` when it is no longer valid; that is not a session ending (nothing was
        signed in yet), so ``on_session_ended`` does not fire: the application just asks to sign in.
        """
        self._forget()
        response = await self._send("POST", "/auth/refresh", body={"refresh_token": refresh_token})
        if response.status_code in (400, 401, 422):
            error = error_from_response(response)
            raise Unauthorized(
                error.status,
                error.title,
                error.detail,
                error.problem,
                user_message="The saved sign-in has expired. Please sign in again.",
            )
        return self._adopt(parse_session(self._json(response)))

    async def refresh(self) -> Session:
        """Exchange the refresh token for new tokens now (normally done silently on a 401)."""
        session = await self._refreshed(stale_token=None)
        if session is None:  # only for a stale token; kept for the type checker
            raise Unauthorized(None, "Not signed in", "no refresh token")
        return session

    async def logout(self) -> None:
        """Sign out on the server (best effort) and forget the tokens. Never raises ``ApiError``."""
        token, refresh_token = self._access_token, self._refresh_token
        if self._forget():
            self._notify_tokens(None)
        if token is None:
            return
        try:
            response = await self._send("POST", "/auth/logout", token=token)
            if response.status_code == 401 and refresh_token is not None:
                # The access token expired: trade the refresh token for one that can end the sign-in.
                renewed = await self._send("POST", "/auth/refresh", body={"refresh_token": refresh_token})
                if renewed.status_code == 200:
                    fresh = parse_session(self._json(renewed))
                    await self._send("POST", "/auth/logout", token=fresh.tokens.access_token)
        except ApiError as exc:
            log.warning("sign-out could not reach the server: %s", type(exc).__name__)

    async def me(self) -> User:
        user = parse_user(await self._call("GET", "/me"))
        self._user = user
        return user

    # --- cases ----------------------------------------------------------------------------------

    async def cases(self, cursor: str | None = None, limit: int = 100) -> Page[Case]:
        params: Params = [("limit", str(limit))]
        if cursor:
            params.append(("cursor", cursor))
        return parse_page(await self._call("GET", "/cases", params=params), parse_case, "cases")

    async def all_cases(self, page_size: int = 500) -> list[Case]:
        """Every case the user may see, following the cursors."""
        return await _collect(lambda cursor: self.cases(cursor=cursor, limit=page_size))

    async def case(self, case_id: str) -> Case:
        return parse_case(await self._call("GET", f"/cases/{_segment(case_id)}"))

    async def case_appointments(
        self,
        case_id: str,
        *,
        status: Iterable[AppointmentStatus] | AppointmentStatus | None = None,
        date_from: date | datetime | None = None,
        date_to: date | datetime | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Appointment]:
        """One page of a case's appointments; the filters work as in ``appointments``."""
        params = self._filters(status, None, date_from, date_to, q, cursor, limit)
        data = await self._call("GET", f"/cases/{_segment(case_id)}/appointments", params=params)
        return parse_page(data, parse_appointment, "appointments")

    # --- appointments ---------------------------------------------------------------------------

    @staticmethod
    def _filters(
        status: Iterable[AppointmentStatus] | AppointmentStatus | None,
        case_id: str | None,
        date_from: date | datetime | None,
        date_to: date | datetime | None,
        q: str | None,
        cursor: str | None,
        limit: int,
    ) -> Params:
        params: Params = [("status", s) for s in _statuses(status)]
        if case_id:
            params.append(("case_id", case_id))
        if date_from is not None:
            params.append(("from", _date_param(date_from, "date_from")))
        if date_to is not None:
            params.append(("to", _date_param(date_to, "date_to")))
        if q and q.strip():
            params.append(("q", q.strip()))
        params.append(("limit", str(limit)))
        if cursor:
            params.append(("cursor", cursor))
        return params

    async def appointments(
        self,
        *,
        status: Iterable[AppointmentStatus] | AppointmentStatus | None = None,
        case_id: str | None = None,
        date_from: date | datetime | None = None,
        date_to: date | datetime | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Appointment]:
        """One page of the user's appointments (admin: all), by start time.

        A ``date`` is a whole day in the user's own time zone (``date_to`` through the end of that day);
        an aware ``datetime`` is used as given (``date_from`` inclusive, ``date_to`` exclusive). Pass
        ``next_cursor`` back as ``cursor`` with the same filters.
        """
        params = self._filters(status, case_id, date_from, date_to, q, cursor, limit)
        return parse_page(await self._call("GET", "/appointments", params=params), parse_appointment)

    async def all_appointments(
        self,
        *,
        status: Iterable[AppointmentStatus] | AppointmentStatus | None = None,
        case_id: str | None = None,
        date_from: date | datetime | None = None,
        date_to: date | datetime | None = None,
        q: str | None = None,
        page_size: int = 500,
    ) -> list[Appointment]:
        """Every matching appointment, following the cursors."""
        statuses = _statuses(status)
        return await _collect(
            lambda cursor: self.appointments(
                status=[AppointmentStatus(s) for s in statuses],
                case_id=case_id,
                date_from=date_from,
                date_to=date_to,
                q=q,
                cursor=cursor,
                limit=page_size,
            )
        )

    async def appointment(self, appointment_id: int) -> Appointment:
        return parse_appointment(await self._call("GET", f"/appointments/{_segment(appointment_id)}"))

    async def create_appointment(
        self,
        case_id: str,
        start: datetime,
        duration_minutes: int = Limits.DURATION_DEFAULT_MINUTES,
        purpose: str | None = None,
        timezone: str | None = None,
    ) -> Appointment:
        """Propose an appointment in a case; it is pending until the other participant answers.

        ``start`` must be timezone-aware; ``timezone`` (IANA) defaults on the server to the user's own.
        """
        body: dict[str, Any] = {"start": _aware(start, "start"), "duration_minutes": duration_minutes}
        if purpose is not None:
            body["purpose"] = purpose
        if timezone is not None:
            body["timezone"] = timezone
        data = await self._call("POST", f"/cases/{_segment(case_id)}/appointments", body=body)
        return parse_appointment(data)

    async def update_appointment(
        self,
        appointment: Appointment | int,
        *,
        version: int | None = None,
        start: datetime | None = None,
        duration_minutes: int | None = None,
        purpose: str | _Unset | None = UNSET,
    ) -> Appointment:
        """Edit or reschedule: change only the fields given (``purpose=None`` clears the purpose).

        The change applies only to the version the user saw: ``version``, else that of the given
        ``Appointment`` (a bare id needs ``version``). If someone changed it since, this raises
        ``PreconditionFailed``. Changing the time of an accepted appointment reschedules it (pending
        again, awaiting the other participant).
        """
        expected = version
        if expected is None and isinstance(appointment, Appointment):
            expected = appointment.version
        if expected is None:
            raise ValueError("update_appointment needs the version the user saw: an Appointment or version=")
        body: dict[str, Any] = {}
        if start is not None:
            body["start"] = _aware(start, "start")
        if duration_minutes is not None:
            body["duration_minutes"] = duration_minutes
        if not isinstance(purpose, _Unset):
            body["purpose"] = purpose
        if not body:
            raise ValueError("update_appointment needs at least one of start, duration_minutes, purpose")
        path = f"/appointments/{_segment(_id_of(appointment))}"
        data = await self._call("PATCH", path, body=body, headers={"If-Match": f'"{expected}"'})
        return parse_appointment(data)

    async def _transition(
        self,
        action: str,
        appointment: Appointment | int,
        if_match: int | None,
        reason: str | None = None,
    ) -> Appointment:
        body = {"reason": reason} if reason is not None and reason.strip() else None
        path = f"/appointments/{_segment(_id_of(appointment))}/{action}"
        data = await self._call("POST", path, body=body, headers=_if_match(appointment, if_match))
        return parse_appointment(data)

    # For each transition: given an ``Appointment``, its version is sent as If-Match (so a click on a
    # stale view fails with ``PreconditionFailed`` instead of acting on a changed appointment);
    # ``if_match`` overrides it; given a bare id without ``if_match``, no version is checked.

    async def accept(self, appointment: Appointment | int, *, if_match: int | None = None) -> Appointment:
        return await self._transition("accept", appointment, if_match)

    async def reject(
        self, appointment: Appointment | int, reason: str | None = None, *, if_match: int | None = None
    ) -> Appointment:
        return await self._transition("reject", appointment, if_match, reason)

    async def cancel(
        self, appointment: Appointment | int, reason: str | None = None, *, if_match: int | None = None
    ) -> Appointment:
        return await self._transition("cancel", appointment, if_match, reason)

    async def complete(self, appointment: Appointment | int, *, if_match: int | None = None) -> Appointment:
        return await self._transition("complete", appointment, if_match)

    async def history(self, appointment: Appointment | int) -> list[HistoryEntry]:
        """The appointment's audit trail, oldest first."""
        data = await self._call("GET", f"/appointments/{_segment(_id_of(appointment))}/history")
        return parse_history(data)

    # --- notifications --------------------------------------------------------------------------

    async def notifications(
        self, unread_only: bool = False, cursor: str | None = None, limit: int = 50
    ) -> Page[Notification]:
        """One page of the user's own notifications, newest first; ``unread_only`` leaves out read ones."""
        params: Params = [("limit", str(limit))]
        if unread_only:
            params.append(("unread_only", "true"))
        if cursor:
            params.append(("cursor", cursor))
        data = await self._call("GET", "/notifications", params=params)
        return parse_page(data, parse_notification, "notifications")

    async def unread_count(self) -> int:
        """How many of the user's notifications are unread."""
        return _count(await self._call("GET", "/notifications/unread-count"), "unread count")

    async def mark_read(self, notification_id: int) -> Notification:
        """Mark one notification read (already read: no change) and return it.

        ``NotFound`` when it does not exist or is someone else's. The user's other open windows learn
        of it through a ``notification.read`` event.
        """
        data = await self._call("POST", f"/notifications/{_segment(notification_id)}/read")
        return parse_notification(data)

    async def mark_all_read(self) -> int:
        """Mark every notification read; returns how many were unread until now."""
        return _count(await self._call("POST", "/notifications/read-all"), "read-all")


def _count(data: Json, where: str) -> int:
    value = data.get("count") if isinstance(data, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidResponse(None, "Invalid response", f"{where}: expected {{count: integer}}")
    return value


def _consume(task: asyncio.Task[Session]) -> None:
    """Retrieve a refresh task's outcome so an abandoned failure is not reported as never retrieved."""
    if not task.cancelled():
        task.exception()


async def _collect(fetch: Callable[[str | None], Awaitable[Page[T]]]) -> list[T]:
    items: list[T] = []
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(MAX_PAGES):
        page = await fetch(cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        if page.next_cursor in seen:
            raise InvalidResponse(None, "Invalid response", "the server repeated a page cursor")
        seen.add(page.next_cursor)
        cursor = page.next_cursor
    raise InvalidResponse(None, "Invalid response", f"more than {MAX_PAGES} pages")
