"""Demo data: people, cases, and appointments in every status, made through the real operations.

Each appointment is driven through the same service calls a person's clicks would make, at made-up
moments in the past where needed, so its history reads like the real thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from apptdesk.domain import Action
from apptdesk.server.db.engine import Database
from apptdesk.server.db.tables import Notification, User
from apptdesk.server.schemas.appointments import AppointmentCreate, AppointmentPatch
from apptdesk.server.services import appointments
from apptdesk.server.services.directory import ImportReport, import_directory

DEMO_PASSWORD = "demo-password"

_PEOPLE = [
    ("anna.weber@demo.apptdesk.org", "Dr. Anna Weber", "requester", "Europe/Berlin"),
    ("ben.okafor@demo.apptdesk.org", "Dr. Ben Okafor", "requester", "Europe/London"),
    ("carla.mendes@demo.apptdesk.org", "Dr. Carla Mendes", "requester", "America/New_York"),
    ("hiro.sato@demo.apptdesk.org", "Prof. Hiro Sato", "provider", "Asia/Tokyo"),
    ("eva.lindqvist@demo.apptdesk.org", "Dr. Eva Lindqvist", "provider", "Europe/Stockholm"),
    ("omar.haddad@demo.apptdesk.org", "Dr. Omar Haddad", "provider", "Europe/Berlin"),
    ("admin@demo.apptdesk.org", "Morgan Admin", "admin", "Europe/Berlin"),
]

_TITLES = [
    "Suspected interstitial lung disease",
    "Second read: breast MRI",
    "Pediatric cardiac murmur",
    "Atypical melanocytic lesion",
    "Lumbar fusion indication",
    "Refractory epilepsy work-up",
    "Thyroid nodule, Bethesda III",
    "Rare anemia, unclear cause",
    "Knee ACL reconstruction options",
    "Prostate MRI PI-RADS 4",
    "Chronic kidney disease staging",
    "Glioma treatment plan",
    "Crohn's disease biologics",
    "Uveitis of unclear origin",
]

# (requester index, provider index) for cases C-1001...
_PAIRS = [
    (0, 3),
    (0, 4),
    (0, 5),
    (1, 3),
    (1, 4),
    (1, 5),
    (2, 3),
    (2, 4),
    (2, 5),
    (0, 3),
    (1, 4),
    (2, 5),
    (0, 5),
    (1, 3),
]

_PURPOSES = [
    "Discuss the imaging findings and next diagnostic steps.",
    "Go through the pathology report together.",
    "Clarify the medication history before the written opinion.",
    "Review the recommendation and answer the family's questions.",
    None,
]


def demo_document() -> dict[str, Any]:
    users = [
        {"email": e, "name": n, "role": r, "timezone": tz, "password": DEMO_PASSWORD}
        for e, n, r, tz in _PEOPLE
    ]
    cases = [
        {
            "id": f"C-{1001 + i}",
            "title": title,
            "requester": _PEOPLE[_PAIRS[i][0]][0],
            "provider": _PEOPLE[_PAIRS[i][1]][0],
        }
        for i, title in enumerate(_TITLES)
    ]
    return {"users": users, "cases": cases}


@dataclass
class _Step:
    action: str  # "accept", "reject", "cancel", "complete", "reschedule"
    by: str  # "creator" or "other"


# Each plan: days from now of the start, who creates, then the steps. Every status appears several times.
_PLANS: list[tuple[float, str, list[_Step]]] = [
    (2, "requester", []),
    (3, "provider", []),
    (5, "requester", [_Step("accept", "other")]),
    (6, "provider", [_Step("accept", "other")]),
    (8, "requester", [_Step("accept", "other"), _Step("reschedule", "other")]),
    (-6, "requester", [_Step("accept", "other"), _Step("complete", "creator")]),
    (-12, "provider", [_Step("accept", "other"), _Step("complete", "other")]),
    (4, "requester", [_Step("reject", "other")]),
    (-3, "provider", [_Step("reject", "other")]),
    (7, "requester", [_Step("cancel", "creator")]),
    (9, "provider", [_Step("accept", "other"), _Step("cancel", "other")]),
]


async def seed(db: Database, hash_password: Callable[[str], str], now: datetime) -> ImportReport | None:
    """Add the demo people, cases and appointments; None if demo data is already there."""
    async with db.write() as session:
        if await session.scalar(select(User).where(User.email == _PEOPLE[0][0])) is not None:
            return None
        report = await import_directory(session, hash_password, demo_document(), now - timedelta(days=30))
        await session.commit()
        users = {u.email: u for u in await session.scalars(select(User))}
    count = 0
    for case_index in range(len(_TITLES)):
        requester = users[_PEOPLE[_PAIRS[case_index][0]][0]]
        provider = users[_PEOPLE[_PAIRS[case_index][1]][0]]
        for plan_index in range(case_index % 4, len(_PLANS), 3):
            days, creator_role, steps = _PLANS[plan_index]
            start = (now + timedelta(days=days + case_index * 0.13)).replace(
                minute=0, second=0, microsecond=0
            )
            start = start.replace(hour=8 + (plan_index + case_index) % 9)
            async with db.write() as session:
                await _play(
                    session,
                    f"C-{1001 + case_index}",
                    requester,
                    provider,
                    creator_role,
                    start,
                    steps,
                    _PURPOSES[(plan_index + case_index) % len(_PURPOSES)],
                    now,
                )
            count += 1
    async with db.write() as session:
        await _leave_newest_unread(session, now, keep=2)
        await session.commit()
    report.notes.append(f"{count} demo appointments")
    return report


async def _leave_newest_unread(session: AsyncSession, now: datetime, keep: int) -> None:
    """A demo where everything is unread shows nothing: each person keeps only their newest few."""
    rows = (
        await session.execute(select(Notification.id, Notification.user_id).order_by(Notification.id.desc()))
    ).all()
    seen: dict[int, int] = {}
    old = []
    for notification_id, user_id in rows:
        seen[user_id] = seen.get(user_id, 0) + 1
        if seen[user_id] > keep:
            old.append(notification_id)
    if old:
        await session.execute(update(Notification).where(Notification.id.in_(old)).values(read_at=now))


async def _play(
    session: AsyncSession,
    case_id: str,
    requester: User,
    provider: User,
    creator_role: str,
    start: datetime,
    steps: list[_Step],
    purpose: str | None,
    now: datetime,
) -> None:
    creator, other = (requester, provider) if creator_role == "requester" else (provider, requester)
    # Proposed a few days before it starts (or a day ago for near ones), answered a little later.
    moment = min(now - timedelta(hours=20), start - timedelta(days=3))
    body = AppointmentCreate(start=start, duration_minutes=30 + 15 * (len(steps) % 3), purpose=purpose)
    appointment = await appointments.create(session, creator, case_id, body, moment)
    for step in steps:
        moment += timedelta(hours=2)
        actor = creator if step.by == "creator" else other
        if step.action == "reschedule":
            patch = AppointmentPatch(start=start + timedelta(days=1))
            appointment = await appointments.change(
                session, actor, appointment.id, patch, f'"{appointment.version}"', moment
            )
            continue
        action = Action(step.action)
        at = (
            max(moment, start + timedelta(minutes=appointment.duration_minutes))
            if action is Action.COMPLETE
            else moment
        )
        reason = "Not available that week." if action in (Action.REJECT, Action.CANCEL) else None
        appointment = await appointments.transition(
            session, actor, appointment.id, action, reason=reason, if_match=None, now=at
        )
