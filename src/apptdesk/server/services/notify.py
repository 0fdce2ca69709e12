"""Telling people about a change, in the same transaction as the change itself.

For every change of an appointment: a notification for the other participant (both, when the system
acted; never the one who acted; admins none), an email in the outbox for each notification, and
entries in the participants' event logs that feed their live streams. If the process dies right after
the commit, everything needed to notify is already in the database.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from apptdesk.domain import AppointmentStatus
from apptdesk.server.db.tables import Appointment, Notification, OutboxMail, User, UserEvent
from apptdesk.server.services import ics
from apptdesk.server.services.wording import Wording, describe, local_time

ANNOUNCED = "apptdesk_announced"  # session.info key: the commit hook wakes streams and the mailer
CHANNEL = "apptdesk_events"  # PostgreSQL LISTEN/NOTIFY channel
_EVENT_LOCK = 7_401_300  # PostgreSQL advisory lock: event ids are handed out in commit order
_CANCELING = {"rejected", "canceled", "expired"}


async def serialize_events(session: AsyncSession) -> None:
    """Call before adding event-log rows. On PostgreSQL, serial ids are taken at insert but become
    visible at commit; without this, a stream that has seen id 11 could miss id 10 committing a moment
    later. The lock makes the two orders agree (SQLite's BEGIN IMMEDIATE already serializes writers)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _EVENT_LOCK})


def _recipients(appointment: Appointment, actor: User | None) -> list[User]:
    people = [appointment.case.requester, appointment.case.provider]
    return people if actor is None else [person for person in people if person.id != actor.id]


async def announce(
    session: AsyncSession,
    appointment: Appointment,
    *,
    actor: User | None,
    action: str,
    at: datetime,
    previous_start: datetime | None = None,
) -> None:
    await serialize_events(session)
    participants = [appointment.case.requester, appointment.case.provider]
    for recipient in _recipients(appointment, actor):
        words = describe(
            action,
            case_id=appointment.case_id,
            actor_name=actor.name if actor else None,
            start=appointment.start_at,
            previous_start=previous_start,
            zone=recipient.timezone,
        )
        notification = Notification(
            user_id=recipient.id,
            kind=action,
            appointment_id=appointment.id,
            case_id=appointment.case_id,
            created_at=at,
            read_at=None,
            title=words.title,
            body=words.body,
        )
        session.add(notification)
        await session.flush()
        session.add(_mail(appointment, notification, recipient, words, action, at))
        session.add(
            UserEvent(
                user_id=recipient.id,
                type="notification.created",
                data={
                    "notification_id": notification.id,
                    "appointment_id": appointment.id,
                    "case_id": appointment.case_id,
                    "kind": action,
                    "title": words.title,
                    "body": words.body,
                },
                created_at=at,
            )
        )
    # Both participants' open windows follow the change, the actor's other windows included.
    change = {
        "appointment_id": appointment.id,
        "case_id": appointment.case_id,
        "action": action,
        "status": appointment.status,
        "version": appointment.version,
    }
    kind = "appointment.created" if action == "created" else "appointment.updated"
    for person in participants:
        session.add(UserEvent(user_id=person.id, type=kind, data=change, created_at=at))
    await mark_announced(session, [person.id for person in participants])


async def mark_announced(session: AsyncSession, user_ids: Iterable[int]) -> None:
    """Wake these users' live streams (and the mailer) once this transaction commits: in this process
    through the commit hook, in every process sharing a PostgreSQL database through NOTIFY (sent at
    commit, carrying the user ids)."""
    ids = set(user_ids)
    announced: set[int] = session.info.setdefault(ANNOUNCED, set())
    announced |= ids
    if session.get_bind().dialect.name == "postgresql":
        payload = ",".join(str(user_id) for user_id in sorted(ids))
        await session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
        )


def _mail(
    appointment: Appointment,
    notification: Notification,
    recipient: User,
    words: Wording,
    action: str,
    at: datetime,
) -> OutboxMail:
    method, calendar = _calendar(appointment, action, at)
    awaiting_answer = action in ("created", "edited", "rescheduled") and appointment.status == "pending"
    link_hint = (
        "Open apptdesk to see the details and to answer."
        if awaiting_answer
        else ("Open apptdesk to see the details.")
    )
    when = local_time(appointment.start_at, recipient.timezone)
    text_body = (
        f"Hello {recipient.name},\n\n{words.body}\n\nCase: {appointment.case_id}\nWhen: {when}, "
        f"{appointment.duration_minutes} min\n\n{link_hint}\n\n— apptdesk\n"
    )
    e = html.escape
    html_body = (
        f"<p>Hello {e(recipient.name)},</p><p>{e(words.body)}</p>"
        f"<table><tr><td><b>Case</b></td><td>{e(appointment.case_id)}</td></tr>"
        f"<tr><td><b>When</b></td><td>{e(when)}, {appointment.duration_minutes} min</td></tr></table>"
        f"<p>{e(link_hint)}</p><p>— apptdesk</p>"
    )
    return OutboxMail(
        notification_id=notification.id,
        recipient=recipient.email,
        message_id=f"<apptdesk.{notification.id}.{secrets.token_hex(8)}@apptdesk.invalid>",
        subject=words.title,
        text_body=text_body,
        html_body=html_body,
        ics=calendar,
        ics_method=method,
        created_at=at,
        attempts=0,
        next_attempt_at=at,
        claimed_until=None,
        sent_at=None,
        last_error=None,
    )


def _calendar(appointment: Appointment, action: str, at: datetime) -> tuple[str | None, str | None]:
    if action == "completed":
        return None, None
    method = "CANCEL" if action in _CANCELING else "REQUEST"
    status = {
        AppointmentStatus.ACCEPTED.value: "CONFIRMED",
        AppointmentStatus.PENDING.value: "TENTATIVE",
    }.get(appointment.status, "CANCELLED")
    people = [appointment.case.requester, appointment.case.provider]
    # By id: after a reschedule the loaded proposed_by object may still be the previous proposer.
    proposer = next((p for p in people if p.id == appointment.proposed_by_id), people[0])
    accepted = appointment.status == AppointmentStatus.ACCEPTED.value
    attendees = [ics.Attendee(p.name, p.email, accepted or p.id == proposer.id) for p in people]
    calendar = ics.invitation(
        method=method,
        uid=f"appointment-{appointment.id}@apptdesk",
        sequence=appointment.version,
        start=appointment.start_at,
        end=appointment.end_at,
        summary=f"Second-opinion appointment · case {appointment.case_id}",
        organizer=ics.Attendee(proposer.name, proposer.email, True),
        attendees=attendees,
        status=status,
        stamp=at,
    )
    return method, calendar
