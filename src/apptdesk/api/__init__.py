"""The desktop client's async HTTP layer: typed calls to the apptdesk API server.

Never imports Qt or the server; the rules for enabling controls come from ``apptdesk.domain``.
"""

from apptdesk.api.client import API_PREFIX, DEFAULT_TIMEOUT, UNSET, ApiClient
from apptdesk.api.errors import (
    ApiError,
    Conflict,
    Forbidden,
    InvalidResponse,
    NotFound,
    PreconditionFailed,
    RateLimited,
    ServerUnavailable,
    Unauthorized,
    ValidationFailed,
)
from apptdesk.api.types import (
    Appointment,
    Case,
    HistoryEntry,
    Page,
    Person,
    Session,
    TokenPair,
    User,
    parse_appointment,
    parse_case,
    parse_history,
    parse_history_entry,
    parse_page,
    parse_person,
    parse_session,
    parse_user,
)

__all__ = [
    "API_PREFIX",
    "DEFAULT_TIMEOUT",
    "UNSET",
    "ApiClient",
    "ApiError",
    "Appointment",
    "Case",
    "Conflict",
    "Forbidden",
    "HistoryEntry",
    "InvalidResponse",
    "NotFound",
    "Page",
    "Person",
    "PreconditionFailed",
    "RateLimited",
    "ServerUnavailable",
    "Session",
    "TokenPair",
    "Unauthorized",
    "User",
    "ValidationFailed",
    "parse_appointment",
    "parse_case",
    "parse_history",
    "parse_history_entry",
    "parse_page",
    "parse_person",
    "parse_session",
    "parse_user",
]
