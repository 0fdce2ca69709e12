"""The remembered sign-in: a refresh token in the OS keyring (service ``apptdesk``), never on disk.

Keyring calls can block (a locked wallet prompts), so each runs in a worker thread. Where no backend
exists (headless machines, some Linux desktops) nothing is stored and the caller tells the user.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import keyring
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

log = logging.getLogger(__name__)

SERVICE = "apptdesk"
NO_KEYRING_NOTE = "This computer has no password store, so your sign-in will not be remembered."


@dataclass(frozen=True)
class Remembered:
    email: str
    refresh_token: str


def _account(server_url: str) -> str:
    return server_url.rstrip("/")


class CredentialStore:
    def __init__(self, service: str = SERVICE) -> None:
        self.service = service
        self.available: bool | None = None  # unknown until first used

    async def save(self, server_url: str, email: str, refresh_token: str) -> bool:
        """Remember the sign-in; False (and ``available`` False) when there is no keyring."""
        return await asyncio.to_thread(self._save, server_url, email, refresh_token)

    async def load(self, server_url: str) -> Remembered | None:
        return await asyncio.to_thread(self._load, server_url)

    async def forget(self, server_url: str) -> None:
        await asyncio.to_thread(self._forget, server_url)

    def _save(self, server_url: str, email: str, refresh_token: str) -> bool:
        try:
            keyring.set_password(self.service, _account(server_url), f"{email}\n{refresh_token}")
        except NoKeyringError:
            self.available = False
            return False
        except KeyringError:
            log.warning("the keyring refused to store the sign-in")
            self.available = False
            return False
        self.available = True
        return True

    def _load(self, server_url: str) -> Remembered | None:
        try:
            value = keyring.get_password(self.service, _account(server_url))
        except NoKeyringError:
            self.available = False
            return None
        except KeyringError:
            log.warning("the keyring could not be read")
            return None
        self.available = True
        if not value or "\n" not in value:
            return None
        email, token = value.split("\n", 1)
        return Remembered(email=email, refresh_token=token)

    def _forget(self, server_url: str) -> None:
        try:
            keyring.delete_password(self.service, _account(server_url))
        except (PasswordDeleteError, NoKeyringError):
            pass
        except KeyringError:
            log.warning("the keyring could not forget the sign-in")
