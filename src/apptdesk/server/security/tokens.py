"""Opaque bearer tokens: 256 random bits, shown once, stored only as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

ACCESS_PREFIX = "apd_at_"
REFRESH_PREFIX = "apd_rt_"


def new_token(prefix: str) -> str:
    # The prefix lets secret scanners and logs recognise a token without revealing it.
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
