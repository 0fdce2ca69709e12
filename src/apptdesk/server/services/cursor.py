"""Opaque keyset cursors: the (start, id) of the last row of a page, base64url-encoded."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from apptdesk.server.problems import ProblemError

MAX_ROW_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
_BAD = "The cursor is not valid: pass back next_cursor from the previous page unchanged."


def encode(start: datetime, row_id: int | str) -> str:
    raw = json.dumps([start.isoformat(), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        start_text, row_id = json.loads(raw)
        start = datetime.fromisoformat(start_text)
        start.astimezone(UTC)  # a tampered cursor may hold a time that has no UTC equivalent
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise ProblemError(400, _BAD) from None
    if start.tzinfo is None or not isinstance(row_id, int) or isinstance(row_id, bool):
        raise ProblemError(400, _BAD)
    if not 0 <= row_id <= MAX_ROW_ID:
        raise ProblemError(400, _BAD)
    return start, row_id


def encode_key(key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([key]).encode()).decode().rstrip("=")


def decode_key(cursor: str) -> str:
    try:
        (key,) = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ProblemError(400, _BAD) from None
    if not isinstance(key, str) or "\x00" in key:
        raise ProblemError(400, _BAD)
    return key


def encode_id(row_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([row_id]).encode()).decode().rstrip("=")


def decode_id(cursor: str) -> int:
    try:
        (row_id,) = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ProblemError(400, _BAD) from None
    if not isinstance(row_id, int) or isinstance(row_id, bool) or not 0 < row_id < 2**31:
        raise ProblemError(400, _BAD)
    return row_id
