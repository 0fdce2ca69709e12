"""Opaque keyset cursors: the sort key of the last row of a page, as base64url-encoded JSON."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from apptdesk.server.problems import ProblemError

MAX_ROW_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
_BAD = "The cursor is not valid: pass back next_cursor from the previous page unchanged."


def _pack(*values: Any) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unpack(cursor: str, size: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ProblemError(400, _BAD) from None
    if not isinstance(values, list) or len(values) != size:
        raise ProblemError(400, _BAD)
    return values


def _row_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ROW_ID:
        raise ProblemError(400, _BAD)
    return value


def encode(start: datetime, row_id: int) -> str:
    """After the row with this (start, id): appointments."""
    return _pack(start.isoformat(), row_id)


def decode(cursor: str) -> tuple[datetime, int]:
    start_text, row_id = _unpack(cursor, 2)
    try:
        start = datetime.fromisoformat(start_text)
        start.astimezone(UTC)  # a tampered cursor may hold a time that has no UTC equivalent
    except (ValueError, TypeError, OverflowError):
        raise ProblemError(400, _BAD) from None
    if start.tzinfo is None:
        raise ProblemError(400, _BAD)
    return start, _row_id(row_id)


def encode_key(key: str) -> str:
    """After the row with this text key: cases."""
    return _pack(key)


def decode_key(cursor: str) -> str:
    (key,) = _unpack(cursor, 1)
    if not isinstance(key, str) or "\x00" in key:
        raise ProblemError(400, _BAD)
    return key


def encode_id(row_id: int) -> str:
    """After the row with this id (newest first): notifications."""
    return _pack(row_id)


def decode_id(cursor: str) -> int:
    (row_id,) = _unpack(cursor, 1)
    return _row_id(row_id)
