"""The small world every server test starts from: two cases, five people.

The matrix roles of the contract map onto it: for case C-1 the requester is r1 and the provider p1;
r2 and p2 are another requester and another provider (of case C-2); admin sees everything.
"""

from __future__ import annotations

PASSWORD = "correct-horse-battery"

PEOPLE = {
    "r1": ("rita.r1@test.apptdesk.org", "Rita Requester", "requester", "Europe/Berlin"),
    "p1": ("paul.p1@test.apptdesk.org", "Paul Provider", "provider", "America/New_York"),
    "r2": ("rob.r2@test.apptdesk.org", "Rob Outsider", "requester", "UTC"),
    "p2": ("pia.p2@test.apptdesk.org", "Pia Outsider", "provider", "Asia/Tokyo"),
    "admin": ("ada.admin@test.apptdesk.org", "Ada Admin", "admin", "Europe/London"),
}

CASES = [
    {"id": "C-1", "title": "Case one", "requester": PEOPLE["r1"][0], "provider": PEOPLE["p1"][0]},
    {"id": "C-2", "title": "Case two", "requester": PEOPLE["r2"][0], "provider": PEOPLE["p2"][0]},
]


def document() -> dict[str, object]:
    users = [
        {"email": email, "name": name, "role": role, "timezone": tz, "password": PASSWORD}
        for email, name, role, tz in PEOPLE.values()
    ]
    return {"users": users, "cases": CASES}


def email(who: str) -> str:
    return PEOPLE[who][0]
