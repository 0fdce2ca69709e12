"""In-app notifications: who is told of each change, what they are told, and the endpoints to read them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apptdesk.server.db.engine import Database
from apptdesk.server.services.lifecycle import SweepResult, sweep
from tests.support import world
from tests.support.api import Api, MutableClock, assert_problem
from tests.support.databases import fetch, run_async

SECRET_PURPOSE = "Purpose-AXOLOTL-5521 suspected lymphoma, second look"
SECRET_EDIT = "Purpose-PANGOLIN-8830 follow-up on the biopsy"
SECRET_REASON = "Reason-CAPYBARA-1147 the patient moved abroad"
SECRETS = ("AXOLOTL", "PANGOLIN", "CAPYBARA")
WHO_BY_EMAIL = {person[0]: who for who, person in world.PEOPLE.items()}
FIELDS = {"id", "kind", "appointment_id", "case_id", "created_at", "read", "title", "body"}


class Notified:
    """The notifications written since the last look, as (recipient, kind, appointment id)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.last = 0

    def new(self) -> list[tuple[str, str, int]]:
        rows = fetch(
            self.database_url,
            "SELECT n.id, u.email, n.kind, n.appointment_id FROM notifications n"
            " JOIN users u ON u.id = n.user_id WHERE n.id > :last ORDER BY n.id",
            last=self.last,
        )
        if rows:
            self.last = int(str(rows[-1][0]))
        return sorted((WHO_BY_EMAIL[str(email)], str(kind), int(str(a))) for _, email, kind, a in rows)


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


def run_sweep(database_url: str, now: datetime, grace: timedelta) -> SweepResult:
    async def go() -> SweepResult:
        db = Database.connect(database_url)
        try:
            return await sweep(db, now, grace)
        finally:
            await db.dispose()

    return run_async(go)


def everything_said(database_url: str) -> str:
    """Every word the server wrote for people: notifications, mails (with invitations), event payloads."""
    parts: list[object] = []
    for sql in (
        "SELECT title, body FROM notifications",
        "SELECT subject, text_body, html_body, ics FROM mail_outbox",
        "SELECT type, data FROM user_events",
    ):
        for row in fetch(database_url, sql):
            parts.extend(json.dumps(value) if isinstance(value, dict) else value for value in row)
    return "\n".join(str(part) for part in parts)


def test_each_change_notifies_exactly_the_other_participant_and_the_system_both(
    api: Api, database_url: str, clock: MutableClock
) -> None:
    notified = Notified(database_url)

    a = api.create("r1", purpose=SECRET_PURPOSE)
    assert notified.new() == [("p1", "created", a["id"])]
    b = api.create("p1", start=api.future(days=2))
    assert notified.new() == [("r1", "created", b["id"])]

    a = ok(api.patch("r1", a, duration_minutes=45, purpose=SECRET_EDIT))  # the proposer edits
    assert notified.new() == [("p1", "edited", a["id"])]
    a = ok(api.act("p1", a["id"], "accept"))
    assert notified.new() == [("r1", "accepted", a["id"])]
    a = ok(api.patch("p1", a, start=api.future(days=3)))  # either may move an accepted one
    assert a["status"] == "pending"
    assert notified.new() == [("r1", "rescheduled", a["id"])]
    a = ok(api.act("r1", a["id"], "accept"))  # now r1 is the one asked
    assert notified.new() == [("p1", "accepted", a["id"])]
    a = ok(api.patch("p1", a, purpose=SECRET_PURPOSE))  # a purpose edit on an accepted one
    assert notified.new() == [("r1", "edited", a["id"])]

    ok(api.act("r1", b["id"], "reject", reason=SECRET_REASON))
    assert notified.new() == [("p1", "rejected", b["id"])]
    c = api.create("r1", start=api.future(days=4))
    ok(api.act("r1", c["id"], "cancel", reason=SECRET_REASON))  # the proposer withdraws
    assert notified.new() == [("p1", "canceled", c["id"]), ("p1", "created", c["id"])]
    ok(api.act("r1", a["id"], "cancel", reason=SECRET_REASON))  # an accepted one, by the other side
    assert notified.new() == [("p1", "canceled", a["id"])]

    soon = api.create("r1", start=api.future(minutes=2), duration_minutes=15)
    ok(api.act("p1", soon["id"], "accept"))
    assert notified.new() == [("p1", "created", soon["id"]), ("r1", "accepted", soon["id"])]
    clock.advance(timedelta(minutes=3))
    ok(api.act("p1", soon["id"], "complete"))  # by hand, once it has started
    assert notified.new() == [("r1", "completed", soon["id"])]

    # The system acts for nobody: both participants are told.
    held = api.create("p1", start=api.future(hours=1), duration_minutes=30)
    ok(api.act("r1", held["id"], "accept"))
    unanswered = api.create("r1", start=api.future(hours=2))
    notified.new()
    now = datetime.fromisoformat(unanswered["start"]) + timedelta(minutes=1)
    assert run_sweep(database_url, now, timedelta(minutes=10)) == SweepResult(completed=1, expired=1)
    assert notified.new() == [
        ("p1", "completed", held["id"]),
        ("p1", "expired", unanswered["id"]),
        ("r1", "completed", held["id"]),
        ("r1", "expired", unanswered["id"]),
    ]
    system = fetch(
        database_url,
        "SELECT body FROM notifications"
        " WHERE kind IN ('completed', 'expired') AND appointment_id IN (:h, :u)",
        h=held["id"],
        u=unanswered["id"],
    )
    assert len(system) == 4
    assert all("Rita" not in str(body) and "Paul" not in str(body) for (body,) in system), system

    # Admins, and people of other cases, are never told.
    emails = fetch(
        database_url, "SELECT DISTINCT u.email FROM notifications n JOIN users u ON u.id = n.user_id"
    )
    assert {WHO_BY_EMAIL[str(email)] for (email,) in emails} == {"r1", "p1"}
    for who in ("admin", "r2", "p2"):
        assert ok(api.client(who).get("/notifications")) == {"items": [], "next_cursor": None}
        assert ok(api.client(who).get("/notifications/unread-count")) == {"count": 0}

    # One mail per notification, to the person notified.
    mails = fetch(
        database_url,
        "SELECT m.recipient, u.email FROM mail_outbox m JOIN notifications n ON n.id = m.notification_id"
        " JOIN users u ON u.id = n.user_id",
    )
    assert len(mails) == len(fetch(database_url, "SELECT id FROM notifications"))
    assert all(recipient == email for recipient, email in mails)


def test_no_purpose_or_reason_reaches_notifications_mails_or_events(
    api: Api, database_url: str, clock: MutableClock
) -> None:
    a = api.create("r1", purpose=SECRET_PURPOSE)
    a = ok(api.patch("r1", a, purpose=SECRET_EDIT))
    ok(api.act("p1", a["id"], "reject", reason=SECRET_REASON))
    b = api.create("p1", purpose=SECRET_PURPOSE, start=api.future(days=2))
    b = ok(api.act("r1", b["id"], "accept"))
    b = ok(api.patch("r1", b, start=api.future(days=3), purpose=SECRET_EDIT))
    ok(api.act("p1", b["id"], "cancel", reason=SECRET_REASON))
    c = api.create("r1", purpose=SECRET_PURPOSE, start=api.future(hours=1))
    run_sweep(database_url, datetime.fromisoformat(c["start"]) + timedelta(minutes=1), timedelta(hours=1))

    # The texts are there in the app, for those who sign in...
    assert api.get("p1", a["id"])["purpose"] == SECRET_EDIT
    assert api.get("r1", a["id"])["reason"] == SECRET_REASON
    # ...and nowhere in what the server says to people outside it.
    said = everything_said(database_url)
    assert "New appointment request" in said  # the check looks at real text
    for secret in SECRETS:
        assert secret not in said
    for who in ("r1", "p1"):
        listed = json.dumps(ok(api.client(who).get("/notifications")))
        assert all(secret not in listed for secret in SECRETS), who
    kinds = {str(kind) for (kind,) in fetch(database_url, "SELECT DISTINCT kind FROM notifications")}
    assert kinds == {"created", "edited", "rejected", "accepted", "rescheduled", "canceled", "expired"}


def next_january_15th(after: datetime) -> datetime:
    year = after.year + (1 if (after.month, after.day) >= (1, 10) else 0)
    return datetime(year, 1, 15, 15, 40, tzinfo=UTC)


def test_times_are_told_in_each_recipient_s_own_zone(api: Api, database_url: str) -> None:
    start = next_january_15th(api.clock())  # winter: New York is UTC-5, Berlin UTC+1
    day = f"{start:%a} 15 Jan {start.year}"
    a = api.create("r1", start=start.isoformat())
    to_p1 = ok(api.client("p1").get("/notifications"))["items"][0]
    assert to_p1["body"] == f"Rita Requester proposes an appointment on {day}, 10:40 (EST)."

    ok(api.act("p1", a["id"], "accept"))
    to_r1 = ok(api.client("r1").get("/notifications"))["items"][0]
    assert to_r1["body"] == f"Paul Provider accepted the appointment on {day}, 16:40 (CET)."

    summer = start.replace(month=7)  # and in the zone's own summer time
    ok(api.patch("r1", api.get("r1", a["id"]), start=summer.isoformat()))
    body = ok(api.client("p1").get("/notifications"))["items"][0]["body"]
    assert body == (
        f"Rita Requester proposes to move the appointment from {day}, 10:40 (EST)"
        f" to {summer:%a} 15 Jul {start.year}, 11:40 (EDT)."
    )

    mails = fetch(database_url, "SELECT recipient, text_body, html_body FROM mail_outbox ORDER BY id")
    assert [row[0] for row in mails] == [world.email("p1"), world.email("r1"), world.email("p1")]
    for (_, text, html), local in zip(mails, ("10:40 (EST)", "16:40 (CET)", "11:40 (EDT)"), strict=True):
        assert local in str(text)
        assert local in str(html)
        assert "15:40" not in str(text)


def test_the_list_is_newest_first_paged_by_cursor_and_filters_unread(api: Api) -> None:
    created = [api.create("r1", start=api.future(days=1 + i))["id"] for i in range(5)]
    p1 = api.client("p1")
    everything = ok(p1.get("/notifications"))
    assert everything["next_cursor"] is None
    items = everything["items"]
    assert [n["appointment_id"] for n in items] == created[::-1]
    ids = [n["id"] for n in items]
    assert ids == sorted(ids, reverse=True)
    for item in items:
        assert set(item) == FIELDS
        assert (item["kind"], item["case_id"], item["read"]) == ("created", "C-1", False)
        assert item["title"] == "New appointment request · C-1"
        assert datetime.fromisoformat(item["created_at"]).tzinfo is not None

    pages: list[list[int]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = ok(p1.get("/notifications", params=params))
        pages.append([n["id"] for n in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]

    assert ok(p1.get("/notifications/unread-count")) == {"count": 5}
    assert ok(api.client("r1").get("/notifications/unread-count")) == {"count": 0}
    marked = ok(p1.post(f"/notifications/{ids[1]}/read"))
    assert marked == {**items[1], "read": True}
    assert ok(p1.post(f"/notifications/{ids[1]}/read")) == marked  # again: no change
    assert ok(p1.get("/notifications/unread-count")) == {"count": 4}
    unread = ok(p1.get("/notifications", params={"unread_only": "true"}))
    assert [n["id"] for n in unread["items"]] == [ids[0], *ids[2:]]
    first = ok(p1.get("/notifications", params={"unread_only": "true", "limit": 3}))
    assert [n["id"] for n in first["items"]] == [ids[0], ids[2], ids[3]]
    params = {"unread_only": "true", "limit": 3, "cursor": first["next_cursor"]}
    rest = ok(p1.get("/notifications", params=params))
    assert ([n["id"] for n in rest["items"]], rest["next_cursor"]) == ([ids[4]], None)
    assert [n["read"] for n in ok(p1.get("/notifications"))["items"]] == [False, True, False, False, False]

    assert_problem(p1.get("/notifications", params={"cursor": "not-a-cursor"}), 400)
    for limit in (0, 501):
        assert_problem(p1.get("/notifications", params={"limit": limit}), 422)


def test_only_one_s_own_notifications_can_be_read_or_marked(api: Api) -> None:
    api.create("r1")
    api.create("r1", start=api.future(days=2))
    mine = ok(api.client("p1").get("/notifications"))["items"]
    for who in ("r1", "r2", "admin"):
        body = assert_problem(api.client(who).post(f"/notifications/{mine[0]['id']}/read"), 404)
        assert body["detail"] == "Notification not found."
        assert ok(api.client(who).post("/notifications/read-all")) == {"count": 0}
    assert ok(api.client("p1").get("/notifications/unread-count")) == {"count": 2}
    assert_problem(api.client("p1").post("/notifications/999999/read"), 404)
    assert_problem(api.client("p1").post("/notifications/0/read"), 422)
    for method, path in (
        ("GET", "/notifications"),
        ("GET", "/notifications/unread-count"),
        ("POST", f"/notifications/{mine[0]['id']}/read"),
        ("POST", "/notifications/read-all"),
    ):
        assert_problem(api.client("anon").request(method, path), 401)


def test_read_all_marks_every_unread_one_and_answers_how_many(api: Api) -> None:
    for i in range(3):
        api.create("r1", start=api.future(days=1 + i))
    p1 = api.client("p1")
    first = ok(p1.get("/notifications"))["items"][0]
    ok(p1.post(f"/notifications/{first['id']}/read"))
    assert ok(p1.post("/notifications/read-all")) == {"count": 2}
    assert ok(p1.get("/notifications/unread-count")) == {"count": 0}
    assert ok(p1.get("/notifications", params={"unread_only": True})) == {"items": [], "next_cursor": None}
    assert all(n["read"] for n in ok(p1.get("/notifications"))["items"])
    assert ok(p1.post("/notifications/read-all")) == {"count": 0}
    # New ones after that are unread again.
    api.create("r1", start=api.future(days=9))
    assert ok(p1.get("/notifications/unread-count")) == {"count": 1}


@pytest.mark.parametrize("who", ["r1", "p1"])
def test_an_appointment_s_notifications_name_case_people_and_what_happened(api: Api, who: str) -> None:
    other = "p1" if who == "r1" else "r1"
    created = api.create(who)
    item = ok(api.client(other).get("/notifications"))["items"][0]
    name = world.PEOPLE[who][1]
    assert item["title"] == "New appointment request · C-1"
    assert item["body"].startswith(f"{name} proposes an appointment on ")
    assert item["appointment_id"] == created["id"]
    ok(api.act(other, created["id"], "reject"))
    item = ok(api.client(who).get("/notifications"))["items"][0]
    assert item["title"] == "Appointment declined · C-1"
    assert item["body"].startswith(f"{world.PEOPLE[other][1]} declined the appointment on ")
