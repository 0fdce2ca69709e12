"""Email through a real SMTP server (aiosmtpd on 127.0.0.1): content, invitations, nothing lost or doubled.

The server under test sends through ``SmtpSink``; the outbox table is read directly to see what the
dispatcher has marked, and when.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from apptdesk.server.app import create_app
from apptdesk.server.db.engine import Database
from apptdesk.server.embedded import ServerThread
from apptdesk.server.services.lifecycle import sweep
from apptdesk.server.services.mailer import FolderTransport, SmtpTransport, transport_for
from apptdesk.server.settings import Settings
from tests.server.smtp_sink import Received, SmtpSink, parse
from tests.support import world
from tests.support.api import Api, MutableClock
from tests.support.databases import cheap_settings, fetch, run_async

SECRET_PURPOSE = "Purpose-WOMBAT-6604 rare sarcoma"
SECRET_REASON = "Reason-TAPIR-3318 family emergency"
SECRETS = ("WOMBAT", "TAPIR")
SENDER = "apptdesk tests <no-reply@apptdesk.invalid>"


def mail_settings(database_url: str, smtp_url: str, **extra: Any) -> Settings:
    return cheap_settings(database_url).model_copy(
        update={
            "smtp_url": smtp_url,
            "mail_from": SENDER,
            "mail_poll_seconds": 0.1,
            "mail_retry_max_seconds": 0.3,  # retries come fast; the backoff itself is the mailer's
            **extra,
        }
    )


def start_server(settings: Settings, clock: MutableClock) -> ServerThread:
    return ServerThread(create_app(settings, clock=clock, sweeper=False)).start()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.gate.set()
    sink.stop()


@pytest.fixture
def server(database_url: str, clock: MutableClock, sink: SmtpSink) -> Iterator[ServerThread]:
    """The shared ``api`` fixture talks to this one: a server that mails through ``sink``."""
    thread = start_server(mail_settings(database_url, sink.url), clock)
    yield thread
    thread.stop()


def outbox(database_url: str) -> list[dict[str, Any]]:
    rows = fetch(
        database_url,
        "SELECT id, recipient, message_id, attempts, sent_at, last_error, claimed_until, ics_method"
        " FROM mail_outbox ORDER BY id",
    )
    names = ("id", "recipient", "message_id", "attempts", "sent_at", "last_error", "claimed_until", "method")
    return [dict(zip(names, row, strict=True)) for row in rows]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


def calendar(message: EmailMessage) -> tuple[dict[str, str], list[str]]:
    """The invitation's properties (first of each name) and its ATTENDEE lines."""
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1, [part.get_content_type() for part in attachments]
    part = attachments[0]
    assert part.get_content_type() == "text/calendar"
    assert part.get_filename() == "invite.ics"
    text = part.get_content()
    assert isinstance(text, str)
    lines = text.replace("\r\n ", "").split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-2:] == ["END:VCALENDAR", ""]
    properties: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        properties.setdefault(name.split(";")[0], value)
    assert properties["METHOD"] == part.get_param("method")
    return properties, [line for line in lines if line.startswith("ATTENDEE")]


def words(message: EmailMessage) -> str:
    """Everything a reader of the mail sees, decoded: headers, text, HTML, invitation."""
    parts = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if not part.is_multipart():
            content = part.get_content()
            parts.append(content if isinstance(content, str) else content.decode())
    return "\n".join(parts)


def text_of(message: EmailMessage, kind: str) -> str:
    body = message.get_body((kind,))
    assert body is not None, kind
    content = body.get_content()
    assert isinstance(content, str)
    return content


def by_id(mails: list[Received]) -> dict[str, EmailMessage]:
    return {mail.message_id: mail.message for mail in mails}


def next_january_15th(after: datetime) -> datetime:
    year = after.year + (1 if (after.month, after.day) >= (1, 10) else 0)
    return datetime(year, 1, 15, 15, 40, tzinfo=UTC)


def test_each_mail_has_text_html_and_an_invitation_that_follows_the_appointment(
    api: Api, sink: SmtpSink, database_url: str
) -> None:
    start = next_january_15th(api.clock())
    created = api.create("r1", start=start.isoformat(), purpose=SECRET_PURPOSE)
    [mail] = sink.wait_for(1)
    message = mail.message
    row = outbox(database_url)[0]
    assert mail.recipients == (world.email("p1"),)
    assert message["To"] == world.email("p1")
    assert message["From"] == SENDER
    assert message["Subject"] == "New appointment request · C-1"
    assert mail.message_id == row["message_id"]
    assert mail.message_id.startswith("<")
    assert mail.message_id.endswith("@apptdesk.invalid>")
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message.get_content_type() == "multipart/mixed"
    text, html = text_of(message, "plain"), text_of(message, "html")
    day = f"{start:%a} 15 Jan {start.year}"
    for body in (text, html):
        assert "Paul Provider" in body  # to whom
        assert "Rita Requester proposes an appointment" in body  # who and what
        assert "C-1" in body
        assert f"{day}, 10:40 (EST)" in body  # New York time: p1's zone
        assert "Open apptdesk to see the details and to answer." in body
    assert html.lstrip().startswith("<")
    properties, attendees = calendar(message)
    uid = f"appointment-{created['id']}@apptdesk"
    assert properties["METHOD"] == "REQUEST"
    assert properties["UID"] == uid
    assert properties["SEQUENCE"] == "1" == str(created["version"])
    assert properties["DTSTART"] == f"{start.year}0115T154000Z"
    assert properties["DTEND"] == f"{start.year}0115T161000Z"  # 30 minutes, the default
    assert properties["STATUS"] == "TENTATIVE"
    assert properties["ORGANIZER"] == f"mailto:{world.email('r1')}"
    assert sorted(line.rsplit(":", 1)[1] for line in attendees) == sorted(
        [world.email("r1"), world.email("p1")]
    )

    def next_mail(count: int) -> tuple[Received, dict[str, str]]:
        mail = sink.wait_for(count)[count - 1]
        return mail, calendar(mail.message)[0]

    accepted = api.act("p1", created["id"], "accept").json()
    mail, properties = next_mail(2)
    assert mail.recipients == (world.email("r1"),)
    assert "16:40 (CET)" in text_of(mail.message, "plain")  # Berlin: r1's zone
    assert (properties["METHOD"], properties["UID"], properties["STATUS"]) == ("REQUEST", uid, "CONFIRMED")
    assert properties["SEQUENCE"] == "2" == str(accepted["version"])

    summer = start.replace(month=7)
    moved = api.patch("r1", accepted, start=summer.isoformat())
    assert moved.status_code == 200, moved.text
    mail, properties = next_mail(3)
    assert mail.recipients == (world.email("p1"),)
    assert (properties["METHOD"], properties["UID"], properties["STATUS"]) == ("REQUEST", uid, "TENTATIVE")
    assert properties["SEQUENCE"] == "3" == str(moved.json()["version"])
    assert properties["DTSTART"] == f"{summer.year}0715T154000Z"
    assert "from" in text_of(mail.message, "plain")

    rejected = api.act("p1", created["id"], "reject", reason=SECRET_REASON).json()
    mail, properties = next_mail(4)
    assert mail.recipients == (world.email("r1"),)
    assert (properties["METHOD"], properties["UID"], properties["STATUS"]) == ("CANCEL", uid, "CANCELLED")
    assert properties["SEQUENCE"] == "4" == str(rejected["version"])
    assert "Open apptdesk to see the details." in text_of(mail.message, "plain")

    other = api.create("p1", start=api.future(days=5))
    api.act("r1", other["id"], "accept")
    canceled = api.act("p1", other["id"], "cancel", reason=SECRET_REASON).json()
    mails = sink.wait_for(7)
    _, properties = next_mail(7)
    assert mails[6].recipients == (world.email("r1"),)
    assert (properties["METHOD"], properties["UID"]) == ("CANCEL", f"appointment-{other['id']}@apptdesk")
    assert properties["SEQUENCE"] == str(canceled["version"]) == "3"

    for received in mails:
        assert all(secret not in words(received.message) for secret in SECRETS)
    rows = outbox(database_url)
    assert [r["message_id"] for r in rows] == [m.message_id for m in mails]
    assert all(r["sent_at"] is not None and r["attempts"] == 1 and r["last_error"] is None for r in rows)


def test_the_system_s_changes_are_mailed_to_both(
    api: Api, sink: SmtpSink, database_url: str, clock: MutableClock
) -> None:
    held = api.create("r1", start=api.future(hours=1), duration_minutes=30)
    api.act("p1", held["id"], "accept")
    unanswered = api.create("p1", start=api.future(hours=2))
    already = len(sink.wait_for(3))

    # The server's clock moves on to the sweep's time, as it would if the sweep ran in it.
    clock.advance(datetime.fromisoformat(unanswered["start"]) + timedelta(hours=1) - clock())

    async def go() -> None:
        db = Database.connect(database_url)
        try:
            await sweep(db, clock(), timedelta(0))
        finally:
            await db.dispose()

    run_async(go)
    mails = sink.wait_for(already + 4)[already:]
    by_subject: dict[str, list[Received]] = {}
    for mail in mails:
        by_subject.setdefault(str(mail.message["Subject"]), []).append(mail)
    completed = by_subject["Appointment completed · C-1"]
    expired = by_subject["Appointment request expired · C-1"]
    everyone = sorted([world.email("r1"), world.email("p1")])
    assert sorted(m.recipients[0] for m in completed) == everyone
    assert sorted(m.recipients[0] for m in expired) == everyone
    for mail in completed:  # nothing changes in a calendar: no invitation
        assert list(mail.message.iter_attachments()) == []
        assert "has been marked completed" in text_of(mail.message, "plain")
    for mail in expired:
        properties, _ = calendar(mail.message)
        assert (properties["METHOD"], properties["STATUS"]) == ("CANCEL", "CANCELLED")
        assert properties["UID"] == f"appointment-{unanswered['id']}@apptdesk"
        assert properties["SEQUENCE"] == "2"


def test_stop_the_mail_server_act_start_it_again_every_mail_arrives_once(
    api: Api, sink: SmtpSink, database_url: str
) -> None:
    first = api.create("r1")
    sink.wait_for(1)
    sink.stop()

    api.act("p1", first["id"], "accept")
    second = api.create("r1", start=api.future(days=2))
    api.create("p1", start=api.future(days=3))
    api.act("r1", second["id"], "cancel")
    waiting = outbox(database_url)[1:]
    assert len(waiting) == 4

    def all_retried() -> bool:
        rows = outbox(database_url)[1:]
        return all(r["attempts"] >= 2 for r in rows)

    wait_until(all_retried, "every waiting mail has been tried (and failed) at least twice")
    for row in outbox(database_url)[1:]:
        assert row["sent_at"] is None  # not accepted anywhere: not sent
        assert row["last_error"]
    assert len(sink.mails()) == 1

    sink.start()  # the same port
    mails = sink.wait_for(5)
    wait_until(lambda: all(r["sent_at"] is not None for r in outbox(database_url)), "all are marked sent")
    time.sleep(1)  # ten more rounds of the dispatcher: still nothing twice
    mails = sink.mails()
    rows = outbox(database_url)
    assert len(mails) == 5
    assert sorted(m.message_id for m in mails) == sorted(r["message_id"] for r in rows)
    assert sorted(m.recipients[0] for m in mails[1:]) == sorted(r["recipient"] for r in rows[1:])
    for row in rows[1:]:
        assert row["attempts"] >= 3
        assert row["last_error"] is None
        assert row["claimed_until"] is None


def test_a_mail_is_marked_sent_only_after_the_server_accepted_it(
    api: Api, sink: SmtpSink, database_url: str
) -> None:
    sink.gate.clear()  # the server will hold each DATA without an answer
    created = api.create("r1")
    wait_until(lambda: sink.waiting == 1, "the mail is in the server's hands, unanswered")
    time.sleep(0.3)
    [row] = outbox(database_url)
    assert row["sent_at"] is None
    assert row["claimed_until"] is not None  # claimed: no other dispatcher takes it meanwhile
    assert sink.mails() == []
    sink.gate.set()
    sink.wait_for(1)
    wait_until(lambda: outbox(database_url)[0]["sent_at"] is not None, "the mail is marked sent")

    sink.refuse = True  # 451: try again later
    api.act("p1", created["id"], "accept")
    wait_until(lambda: outbox(database_url)[1]["attempts"] >= 2, "the refused mail was tried twice")
    row = outbox(database_url)[1]
    assert row["sent_at"] is None
    assert "451" in row["last_error"]
    sink.refuse = False
    mails = sink.wait_for(2)
    wait_until(lambda: outbox(database_url)[1]["sent_at"] is not None, "the mail is marked sent")
    time.sleep(0.5)
    assert len(sink.mails()) == 2
    row = outbox(database_url)[1]
    # Every try carried the one Message-ID fixed when the mail was written.
    tries = [attempt for attempt in sink.attempts if attempt == row["message_id"]]
    assert len(tries) == row["attempts"] >= 3
    assert mails[1].message_id == row["message_id"]


def test_a_crash_between_commit_and_send_loses_nothing(
    database_url: str, clock: MutableClock, sink: SmtpSink
) -> None:
    # A server that commits changes but never gets to send (as if it died right after the commit).
    silent = start_server(mail_settings(database_url, sink.url, mailer=False), clock)
    api = Api(silent.url, clock)
    try:
        created = api.create("r1")
        assert api.act("p1", created["id"], "accept").status_code == 200
    finally:
        api.close()
        silent.stop()
    time.sleep(0.3)
    assert sink.mails() == []
    rows = outbox(database_url)
    assert [(r["recipient"], r["attempts"], r["sent_at"]) for r in rows] == [
        (world.email("p1"), 0, None),
        (world.email("r1"), 0, None),
    ]

    # The next server on the same database sends what the first one could not.
    again = start_server(mail_settings(database_url, sink.url), clock)
    try:
        mails = sink.wait_for(2)
        wait_until(lambda: all(r["sent_at"] is not None for r in outbox(database_url)), "both are sent")
        time.sleep(0.5)
    finally:
        again.stop()
    assert len(sink.mails()) == 2
    assert [m.message_id for m in mails] == [r["message_id"] for r in rows]
    assert [m.recipients for m in mails] == [(world.email("p1"),), (world.email("r1"),)]


def test_without_smtp_the_mails_are_eml_files_and_no_network_is_used(
    database_url: str, clock: MutableClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialed: list[object] = []

    def no_smtp(self: smtplib.SMTP, *args: object, **kwargs: object) -> None:
        dialed.append(args)
        raise AssertionError("SMTP used without an SMTP URL")

    monkeypatch.setattr(smtplib.SMTP, "connect", no_smtp)
    folder = tmp_path / "outbox"
    server = start_server(mail_settings(database_url, "", mail_outbox_dir=str(folder)), clock)
    api = Api(server.url, clock)
    try:
        created = api.create("r1", purpose=SECRET_PURPOSE)
        api.act("p1", created["id"], "reject", reason=SECRET_REASON)
        wait_until(lambda: len(list(folder.glob("*.eml"))) == 2, "two .eml files")
        wait_until(lambda: all(r["sent_at"] is not None for r in outbox(database_url)), "both marked sent")
    finally:
        api.close()
        server.stop()
    assert dialed == []
    assert sorted(p.suffix for p in folder.iterdir()) == [".eml", ".eml"]  # no temporary files left
    messages = [parse(path.read_bytes()) for path in folder.glob("*.eml")]
    rows = outbox(database_url)
    assert sorted(str(m["Message-ID"]) for m in messages) == sorted(r["message_id"] for r in rows)
    files = {str(m["Message-ID"]): m for m in messages}
    to_p1, to_r1 = files[rows[0]["message_id"]], files[rows[1]["message_id"]]
    assert (to_p1["To"], to_p1["Subject"]) == (world.email("p1"), "New appointment request · C-1")
    assert (to_r1["To"], to_r1["Subject"]) == (world.email("r1"), "Appointment declined · C-1")
    assert calendar(to_p1)[0]["METHOD"] == "REQUEST"
    assert calendar(to_r1)[0]["METHOD"] == "CANCEL"
    for message in messages:
        assert text_of(message, "plain")
        assert text_of(message, "html")
        assert all(secret not in words(message) for secret in SECRETS)


def test_the_default_is_an_outbox_folder_in_the_data_dir(scratch_home: Path) -> None:
    settings = Settings(smtp_url="", mail_outbox_dir="")
    assert Path(settings.resolved_outbox_dir()) == scratch_home / "data" / "outbox"
    folder = scratch_home / "data" / "outbox"
    assert transport_for("", settings.resolved_outbox_dir()) == FolderTransport(folder)
    assert isinstance(transport_for("smtp://127.0.0.1:2525", ""), SmtpTransport)
    with pytest.raises(ValueError, match="smtp://"):
        transport_for("http://127.0.0.1:2525", "")
