"""The email dispatcher: sends the outbox, marks a mail sent only once the server took it.

Each due mail is first claimed (a conditional update), so several server processes never send the same
one twice at once; a failure puts it back with a growing delay. The Message-ID is fixed when the mail
is written, so a resend after a crash at the worst moment is recognisable as the same mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import or_, select, update

from apptdesk.server.db.engine import Database
from apptdesk.server.db.tables import OutboxMail

log = logging.getLogger(__name__)

CLAIM = timedelta(minutes=2)  # far above one send's timeout: a claim never lapses while its mail is sent


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpTransport:
    """smtp://[user:password@]host[:port] (STARTTLS when the server offers it, required with a password);
    smtps://... for TLS from the start."""

    url: str
    timeout: float = 20

    def send(self, message: EmailMessage) -> None:
        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        if parts.scheme == "smtps":
            with smtplib.SMTP_SSL(host, parts.port or 465, timeout=self.timeout) as smtp:
                self._deliver(smtp, message, user, password)
            return
        with smtplib.SMTP(host, parts.port or 25, timeout=self.timeout) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            elif user:
                raise RuntimeError(
                    "the mail server does not offer STARTTLS; refusing to send the password in clear"
                )
            self._deliver(smtp, message, user, password)

    @staticmethod
    def _deliver(smtp: smtplib.SMTP, message: EmailMessage, user: str | None, password: str | None) -> None:
        if user:
            smtp.login(user, password or "")
        smtp.send_message(message)


@dataclass(frozen=True)
class FolderTransport:
    """No mail server configured: each mail becomes an .eml file a person can open."""

    folder: Path

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").replace("@", "_").replace("/", "_")
        target = self.folder / f"{name}.eml"
        temporary = target.with_suffix(".tmp")
        temporary.write_bytes(bytes(message))
        temporary.replace(target)


def build_message(mail: OutboxMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(mail.created_at)
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    if mail.ics:
        message.add_attachment(
            mail.ics.encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": mail.ics_method or "REQUEST", "charset": "utf-8"},
        )
    return message


class Mailer:
    def __init__(
        self,
        db: Database,
        transport: Transport,
        sender: str,
        clock: Callable[[], datetime],
        max_delay: float = 600,
    ) -> None:
        self.db = db
        self.transport = transport
        self.sender = sender
        self.clock = clock
        self.max_delay = max_delay

    async def send_due(self) -> int:
        """Send every mail that is due now; returns how many were sent."""
        sent = 0
        while (mail := await self._claim()) is not None:
            sent += await self._send(mail)
        return sent

    async def _claim(self) -> OutboxMail | None:
        """Take the oldest due mail for this process: one at a time, so no claim waits behind others."""
        while True:
            now = self.clock()
            async with self.db.write() as session:
                mail = await session.scalar(
                    select(OutboxMail)
                    .where(
                        OutboxMail.sent_at.is_(None),
                        OutboxMail.next_attempt_at <= now,
                        or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now),
                    )
                    .order_by(OutboxMail.id)
                    .limit(1)
                )
                if mail is None:
                    return None
                result = await session.execute(
                    update(OutboxMail)
                    .where(
                        OutboxMail.id == mail.id,
                        OutboxMail.sent_at.is_(None),
                        or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now),
                    )
                    .values(claimed_until=now + CLAIM)
                    .execution_options(synchronize_session=False)
                )
                await session.commit()
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    return mail
            # Another process took it between our read and our claim: look again.

    async def _send(self, mail: OutboxMail) -> int:
        try:
            await asyncio.to_thread(self.transport.send, build_message(mail, self.sender))
        except Exception as exc:
            attempts = mail.attempts + 1
            delay = min(self.max_delay, 5 * 2 ** min(attempts, 16)) * random.uniform(0.8, 1.2)
            log.warning(
                "mail %s not sent (attempt %s): %s; retrying in %.0f s", mail.id, attempts, exc, delay
            )
            await self._mark(
                mail,
                attempts=attempts,
                next_attempt_at=self.clock() + timedelta(seconds=delay),
                claimed_until=None,
                last_error=str(exc)[:500],
            )
            return 0
        await self._mark(
            mail, sent_at=self.clock(), attempts=mail.attempts + 1, claimed_until=None, last_error=None
        )
        return 1

    async def _mark(self, mail: OutboxMail, **values: object) -> None:
        async with self.db.write() as session:
            await session.execute(update(OutboxMail).where(OutboxMail.id == mail.id).values(**values))
            await session.commit()

    async def run_forever(self, wake: Callable[[], asyncio.Event], poll_seconds: float) -> None:
        while True:
            waiter = wake()
            try:
                await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("mail dispatch failed; will retry")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), timeout=poll_seconds)


def transport_for(smtp_url: str, outbox_dir: str) -> Transport:
    if smtp_url:
        if urlsplit(smtp_url).scheme not in ("smtp", "smtps"):
            raise ValueError("APPTDESK_SMTP_URL must start with smtp:// or smtps://")
        return SmtpTransport(smtp_url)
    return FolderTransport(Path(outbox_dir))
