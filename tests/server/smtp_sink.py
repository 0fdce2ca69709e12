"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1, keeping every message it accepted.

It can be stopped and started again on the same port, made to refuse mail (451), or made to hold each
DATA command until the test opens the gate, so a test can look at the outbox while a mail is in flight.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@dataclass(frozen=True)
class Received:
    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class SmtpSink:
    """``accepted``: the mails the server answered 250 to; ``attempts``: the Message-ID of every DATA."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.accepted: list[Received] = []
        self.attempts: list[str] = []
        self.refuse = False  # answer DATA with 451 (try again later)
        self.gate = threading.Event()  # cleared: DATA waits, unanswered, until it is set
        self.gate.set()
        self.waiting = 0  # DATA commands held at the gate right now
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpSink:
        assert self._controller is None
        controller = Controller(self, hostname="127.0.0.1", port=self.port, ready_timeout=10)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = parse(bytes(envelope.content))
        with self._lock:
            self.attempts.append(str(message["Message-ID"]))
            self.waiting += 1
        try:
            deadline = time.monotonic() + 30
            # A threading.Event, set from the test's thread: polled, never blocking the server's loop.
            while not self.gate.is_set() and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        finally:
            with self._lock:
                self.waiting -= 1
        if self.refuse:
            return "451 4.3.0 Try again later"
        with self._lock:
            self.accepted.append(Received(tuple(envelope.rcpt_tos), message))
        return "250 2.0.0 OK"

    def mails(self) -> list[Received]:
        with self._lock:
            return list(self.accepted)

    def wait_for(self, count: int, timeout: float = 15) -> list[Received]:
        """At least ``count`` accepted mails, or fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.mails()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} mails, got {len(self.mails())}: {self.mails()}")
            time.sleep(0.02)
        return self.mails()

    def wait_until(self, condition: Any, timeout: float = 15, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.02)
