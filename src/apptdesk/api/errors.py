"""Every way a call can fail, as one exception hierarchy with a sentence fit to show a clinician.

The server answers errors as RFC 9457 problem documents (``{type, title, status, detail, ...}``);
``error_from_response`` turns one into the matching subclass. Network failures, timeouts and 5xx answers
all become ``ServerUnavailable``, so no raw httpx exception reaches the user interface.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import httpx

__all__ = [
    "ApiError",
    "Conflict",
    "Forbidden",
    "InvalidResponse",
    "NotFound",
    "PreconditionFailed",
    "RateLimited",
    "ServerUnavailable",
    "Unauthorized",
    "ValidationFailed",
    "error_from_response",
    "error_from_transport",
]

# How field names in the server's details read to a person.
FIELD_LABELS: dict[str, str] = {
    "start": "Start time",
    "duration_minutes": "Duration",
    "purpose": "Purpose",
    "timezone": "Time zone",
    "reason": "Reason",
    "email": "Email",
    "password": "Password",
    "from": "From date",
    "to": "To date",
    "q": "Search text",
    "status": "Status",
    "limit": "Page size",
    "cursor": "Page",
}


class ApiError(Exception):
    """A failed call. ``status`` is the HTTP status (None when no answer arrived).

    ``title`` and ``detail`` come from the problem document (or are filled in by the client),
    ``problem`` is the whole document (empty when the answer was not one), and ``user_message`` is a
    plain-language sentence for the person at the screen.
    """

    default_message = "Something went wrong. Please try again."

    def __init__(
        self,
        status: int | None,
        title: str,
        detail: str,
        problem: Mapping[str, Any] | None = None,
        *,
        user_message: str | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.problem: Mapping[str, Any] = dict(problem or {})
        self.user_message = user_message or self._user_message()
        super().__init__(self._summary())

    def _user_message(self) -> str:
        return _sentence(self.detail) or self.default_message

    def _summary(self) -> str:
        prefix = f"{self.status} " if self.status is not None else ""
        return f"{prefix}{self.title}: {self.detail}" if self.detail else f"{prefix}{self.title}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, title={self.title!r}, detail={self.detail!r})"


class Unauthorized(ApiError):
    """401: not signed in, a wrong password at sign-in, or the sign-in has ended."""

    default_message = "Your session has ended. Please sign in again."

    def _user_message(self) -> str:
        # The server words its token failures for programs; a failed sign-in gets its own message.
        return self.default_message


class Forbidden(ApiError):
    """403: the user may see this but not do it."""

    default_message = "You are not allowed to do this."


class NotFound(ApiError):
    """404: it does not exist, or not for this user."""

    default_message = "This could not be found. It may have been removed, or you may not have access to it."

    def _user_message(self) -> str:
        detail = _sentence(self.detail)
        if not detail or detail == "No such resource.":
            return self.default_message
        return f"{detail} It may have been removed, or you may not have access to it."


class Conflict(ApiError):
    """409: the appointment's status does not allow this, or someone else's change won a race."""

    default_message = (
        "Someone else changed this appointment first. Reload it to see its current state and try again."
    )

    def _user_message(self) -> str:
        detail = _sentence(self.detail)
        if not detail or detail == "Conflict.":
            return self.default_message
        if "reload" in detail.lower():
            return detail
        return f"{detail} It may have been changed by someone else; reload it to see its current state."


class PreconditionFailed(ApiError):
    """412: the appointment changed since it was loaded (its version no longer matches If-Match)."""

    default_message = (
        "Someone else changed this appointment after you opened it, so your change was not saved. "
        "Reload it to see the latest version and try again."
    )

    def _user_message(self) -> str:
        return self.default_message

    @property
    def current_version(self) -> int | None:
        value = self.problem.get("current_version")
        return value if isinstance(value, int) and not isinstance(value, bool) else None


class ValidationFailed(ApiError):
    """400, 413 or 422: something entered is not acceptable; ``detail`` names the field."""

    default_message = "Some of the information entered is not valid. Please check it and try again."

    def _user_message(self) -> str:
        if self.status == 413:
            return "What you entered is too long to send. Please shorten it and try again."
        parts = [part for part in " ".join(self.detail.split()).split("; ") if part]
        if not parts:
            return self.default_message
        return " ".join(_humanize(part) for part in parts)

    @property
    def field_errors(self) -> dict[str, str]:
        """Field name -> message, from the problem's ``errors`` list or its detail."""
        found: dict[str, str] = {}
        errors = self.problem.get("errors")
        if isinstance(errors, list):
            for error in errors:
                if not isinstance(error, Mapping):
                    continue
                loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
                if loc:
                    found.setdefault(loc[-1], str(error.get("msg", "")).removeprefix("Value error, "))
        if not found:
            for part in self.detail.split("; "):
                match = _FIELD.match(part)
                if match:
                    found.setdefault(match.group(1), match.group(2))
        return found


class RateLimited(ApiError):
    """429: too many attempts; ``retry_after`` is how many seconds to wait (None if not said)."""

    default_message = "Too many attempts. Please wait a little and try again."

    def __init__(
        self,
        status: int | None,
        title: str,
        detail: str,
        problem: Mapping[str, Any] | None = None,
        *,
        retry_after: int | None = None,
        user_message: str | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(status, title, detail, problem, user_message=user_message)

    def _user_message(self) -> str:
        detail = _sentence(self.detail)
        if detail:
            return detail
        if self.retry_after:
            return f"Too many attempts. Please try again in {self.retry_after} seconds."
        return self.default_message


class ServerUnavailable(ApiError):
    """No usable answer: connection refused, a timeout, or a 5xx from the server or a proxy."""

    default_message = "The server cannot be reached. Check your network connection and try again."

    def _user_message(self) -> str:
        return self.default_message  # the detail is technical (the kind of network failure)


class InvalidResponse(ApiError):
    """The server answered, but not with what the contract promises (a client/server mismatch)."""

    default_message = (
        "The server sent an answer this version of apptdesk does not understand. "
        "Please tell your administrator."
    )

    def _user_message(self) -> str:
        return self.default_message


_FIELD = re.compile(r"^([A-Za-z_][\w.]*): (.+)$")


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return ""
    if text[-1] not in ".!?":
        text += "."
    return text[0].upper() + text[1:]


def _humanize(part: str) -> str:
    match = _FIELD.match(part)
    if not match:
        return _sentence(part)
    name, message = match.groups()
    label = FIELD_LABELS.get(name.rsplit(".", 1)[-1], name.replace("_", " ").capitalize())
    return _sentence(f"{label}: {message}")


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content) if response.content else None
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(value: str | None, now: datetime | None = None) -> int | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, round((when - (now or datetime.now(UTC))).total_seconds()))


_SERVER_FAULT = (
    "The server ran into a problem and could not finish this. "
    "Please try again; if it keeps happening, tell your administrator."
)
_SERVER_BUSY = "The server cannot be reached right now. Please try again in a moment."


def error_from_response(response: httpx.Response) -> ApiError:
    """The exception for an error answer (status >= 400), whatever its body."""
    status = response.status_code
    problem = _problem_of(response)
    raw_title, raw_detail = problem.get("title"), problem.get("detail")
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    title = raw_title if isinstance(raw_title, str) and raw_title else phrase
    detail = raw_detail if isinstance(raw_detail, str) else ""
    if status == 401:
        return Unauthorized(status, title, detail, problem)
    if status == 403:
        return Forbidden(status, title, detail, problem)
    if status == 404:
        return NotFound(status, title, detail, problem)
    if status == 409:
        return Conflict(status, title, detail, problem)
    if status == 412:
        return PreconditionFailed(status, title, detail, problem)
    if status in (400, 413, 422):
        return ValidationFailed(status, title, detail, problem)
    if status == 429:
        return RateLimited(
            status, title, detail, problem, retry_after=_retry_after(response.headers.get("Retry-After"))
        )
    if status >= 500:
        message = _SERVER_FAULT if status == 500 else _SERVER_BUSY
        return ServerUnavailable(status, title, detail, problem, user_message=message)
    return ApiError(status, title, detail, problem)


def error_from_transport(exc: httpx.HTTPError) -> ServerUnavailable | InvalidResponse:
    """The exception for a request that got no usable answer. Never includes headers or bodies."""
    if isinstance(exc, httpx.TimeoutException):
        return ServerUnavailable(
            None,
            "Timeout",
            f"{type(exc).__name__}: the server did not answer in time.",
            user_message="The server did not answer in time. Check your network connection and try again.",
        )
    if isinstance(exc, httpx.TransportError):
        return ServerUnavailable(None, "Unreachable", f"{type(exc).__name__}: {exc}")
    # Anything else from httpx (a malformed URL, a bad redirect) is a configuration problem.
    return InvalidResponse(None, "Request failed", f"{type(exc).__name__}: {exc}")
