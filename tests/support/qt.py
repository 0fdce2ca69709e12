"""Helpers for driving async Qt code in tests: await a coroutine while Qt's loop keeps running."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import NoKeyringError, PasswordDeleteError
from pytestqt.qtbot import QtBot

T = TypeVar("T")


def wait_for(qtbot: QtBot, coro: Coroutine[Any, Any, T], timeout: int = 15_000) -> T:
    """Run ``coro`` on the qasync loop and wait (processing Qt events) until it is done."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring: tests never touch the OS keychain."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class NoKeyring(KeyringBackend):
    """A machine without any password store, like a headless server."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise NoKeyringError("no backend")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NoKeyringError("no backend")

    def delete_password(self, service: str, username: str) -> None:
        raise NoKeyringError("no backend")


def use_keyring(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)
