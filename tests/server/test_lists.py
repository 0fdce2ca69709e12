"""Lists: order, keyset pagination, filters, visibility; and the shape of cases and appointments."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from apptdesk.server.embedded import ServerThread
from tests.support import world
from tests.support.api import API, APPOINTMENT_FIELDS, Api, assert_problem

CASE_FIELDS = {"id", "title", "requester", "provider", "pending_appointments", "created_at"}
LIST_PATHS = ["/appointments", "/cases/C-1/appointments"]
C1 = {"mri", "percent", "hundred", "underscore", "dash", "none"}  # every text fixture of case C-1


def parse(moment: str) -> datetime:
    value = datetime.fromisoformat(moment)
    assert value.tzinfo is not None, moment
    return value


def key(item: dict[str, Any]) -> tuple[datetime, int]:
    return parse(item["start"]), item["id"]


def listing(client: httpx.Client, path: str = "/appointments", **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, following next_cursor, with the page size given (default: all at once)."""
    params.setdefault("limit", 500)
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        response = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "next_cursor"}
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert page["items"], "a page with a next_cursor must not be empty"
    raise AssertionError("pagination does not end")


def ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


@pytest.fixture
def many(api: Api) -> list[dict[str, Any]]:
    """25 appointments in C-1 by both participants, starts out of creation order and with ties."""
    base = (api.clock() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    created = []
    for index in range(25):
        start = base + timedelta(hours=(index * 7) % 11)
        who = "r1" if index % 3 else "p1"
        created.append(api.create(who, start=start.isoformat(), purpose=f"Topic {index}"))
    return created


@pytest.fixture
def elsewhere(api: Api) -> list[dict[str, Any]]:
    return [api.create("r2", case_id="C-2", start=api.future(days=days)) for days in (1, 3, 5)]


def test_list_is_sorted_by_start_then_id(api: Api, many: list[dict[str, Any]]) -> None:
    expected = sorted(many, key=key)
    for path in LIST_PATHS:
        items = listing(api.client("r1"), path)
        assert ids(items) == ids(expected)
        assert [key(item) for item in items] == sorted(key(item) for item in items)
    starts = [item["start"] for item in expected]
    assert len(set(starts)) < len(starts), "the fixture must contain ties on start"


def test_pagination_walks_every_item_exactly_once(
    api: Api, many: list[dict[str, Any]], elsewhere: list[dict[str, Any]]
) -> None:
    expected = ids(sorted(many, key=key))
    for limit in (1, 2, 3, 7, 24, 25, 26, 500):
        for who, path in [("r1", "/appointments"), ("p1", "/cases/C-1/appointments")]:
            client = api.client(who)
            pages: list[list[int]] = []
            cursor = None
            while True:
                params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
                response = client.get(path, params=params)
                assert response.status_code == 200, response.text
                body = response.json()
                pages.append(ids(body["items"]))
                cursor = body["next_cursor"]
                if cursor is None:
                    break
                assert isinstance(cursor, str)
                assert cursor
            where = f"limit={limit} {who} {path}"
            assert [item for page in pages for item in page] == expected, where
            assert len(pages) == math.ceil(len(expected) / limit), where
            assert all(len(page) == limit for page in pages[:-1]), where
            assert 0 < len(pages[-1]) <= limit, where


def test_admin_pages_through_every_case(
    api: Api, many: list[dict[str, Any]], elsewhere: list[dict[str, Any]]
) -> None:
    expected = ids(sorted(many + elsewhere, key=key))
    assert ids(listing(api.client("admin"), limit=4)) == expected


def test_pagination_is_stable_when_rows_are_added(api: Api, many: list[dict[str, Any]]) -> None:
    client = api.client("r1")
    first = client.get("/appointments", params={"limit": 5}).json()
    # Added before and after the cursor: the rest of the walk neither repeats nor skips a row.
    early = api.create("r1", start=api.future(hours=1))
    late = api.create("r1", start=api.future(days=30))
    rest = listing(client, cursor=first["next_cursor"], limit=5)
    walked = ids(first["items"]) + ids(rest)
    assert early["id"] not in walked
    assert walked == ids(sorted([*many, late], key=key))


def test_pagination_with_a_filter(api: Api, many: list[dict[str, Any]]) -> None:
    for item in many[:6]:
        other = "p1" if item["created_by"]["role"] == "requester" else "r1"
        assert api.act(other, item["id"], "accept").status_code == 200
    accepted = {item["id"] for item in many[:6]}
    walked = listing(api.client("r1"), status="accepted", limit=2)
    assert set(ids(walked)) == accepted
    assert len(walked) == len(accepted)


@pytest.fixture
def statuses(api: Api, many: list[dict[str, Any]]) -> dict[str, set[int]]:
    """Move some of ``many`` on: 5 accepted, 3 rejected, 3 canceled, the rest pending."""
    by_status: dict[str, set[int]] = {
        "pending": set(),
        "accepted": set(),
        "rejected": set(),
        "canceled": set(),
    }
    for index, item in enumerate(many):
        proposer = "r1" if item["created_by"]["role"] == "requester" else "p1"
        other = "p1" if proposer == "r1" else "r1"
        if index < 5:
            response, status = api.act(other, item["id"], "accept"), "accepted"
        elif index < 8:
            response, status = api.act(other, item["id"], "reject"), "rejected"
        elif index < 11:
            response, status = api.act(proposer, item["id"], "cancel"), "canceled"
        else:
            by_status["pending"].add(item["id"])
            continue
        assert response.status_code == 200, response.text
        by_status[status].add(item["id"])
    return by_status


def test_status_filter_repeats(api: Api, statuses: dict[str, set[int]]) -> None:
    client = api.client("r1")
    for status, expected in statuses.items():
        for path in LIST_PATHS:
            items = listing(client, path, status=status)
            assert set(ids(items)) == expected, status
            assert {item["status"] for item in items} == {status}
    both = listing(client, status=["accepted", "rejected"])
    assert set(ids(both)) == statuses["accepted"] | statuses["rejected"]
    assert ids(both) == ids(sorted(both, key=key))
    three = listing(client, "/cases/C-1/appointments", status=["pending", "canceled", "rejected"], limit=3)
    assert set(ids(three)) == statuses["pending"] | statuses["canceled"] | statuses["rejected"]
    assert listing(client, status="completed") == []


def test_case_id_filter(api: Api, many: list[dict[str, Any]], elsewhere: list[dict[str, Any]]) -> None:
    admin = api.client("admin")
    assert set(ids(listing(admin, case_id="C-2"))) == set(ids(elsewhere))
    assert set(ids(listing(admin, case_id="C-1"))) == set(ids(many))
    assert set(ids(listing(admin))) == set(ids(many + elsewhere))
    assert listing(admin, case_id="C-404") == []
    # A case the caller is not part of is simply empty, like any other filter without matches.
    assert listing(api.client("r1"), case_id="C-2") == []
    assert set(ids(listing(api.client("r1"), case_id="C-1"))) == set(ids(many))


def test_visibility_of_lists(api: Api, many: list[dict[str, Any]], elsewhere: list[dict[str, Any]]) -> None:
    c1, c2 = set(ids(many)), set(ids(elsewhere))
    assert set(ids(listing(api.client("admin")))) == c1 | c2
    assert set(ids(listing(api.client("admin"), "/cases/C-1/appointments"))) == c1
    for who in ("r1", "p1"):
        assert set(ids(listing(api.client(who)))) == c1
    for who in ("r2", "p2"):
        assert set(ids(listing(api.client(who)))) == c2
        assert_problem(api.client(who).get("/cases/C-1/appointments"), 404)
        assert listing(api.client(who), q="Case one") == []
    assert_problem(api.client("anon").get("/appointments"), 401)
    assert_problem(api.client("anon").get("/cases/C-1/appointments"), 401)


def _berlin(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo("Europe/Berlin")).isoformat()


def test_dates_are_whole_days_in_the_callers_zone(api: Api) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    day = api.clock().astimezone(berlin).date() + timedelta(days=10)
    made = {
        "day before, 23:59": api.create("r1", start=_berlin(day - timedelta(days=1), 23, 59)),
        "midnight": api.create("r1", start=_berlin(day, 0)),
        "23:30": api.create("r1", start=_berlin(day, 23, 30)),
        "next midnight": api.create("r1", start=_berlin(day + timedelta(days=1), 0)),
    }
    r1, p1 = api.client("r1"), api.client("p1")

    def named(items: list[dict[str, Any]]) -> set[str]:
        return {name for name, item in made.items() if item["id"] in ids(items)}

    iso = day.isoformat()
    # r1 lives in Europe/Berlin: the day runs from Berlin midnight to Berlin midnight.
    assert named(listing(r1, **{"from": iso, "to": iso})) == {"midnight", "23:30"}
    assert named(listing(r1, **{"from": iso})) == {"midnight", "23:30", "next midnight"}
    assert named(listing(r1, to=iso)) == {"day before, 23:59", "midnight", "23:30"}
    next_day = (day + timedelta(days=1)).isoformat()
    assert named(listing(r1, **{"from": next_day, "to": next_day})) == {"next midnight"}
    # p1 lives in America/New_York: the same date is a different stretch of time.
    new_york = ZoneInfo("America/New_York")
    expected = {
        name for name, item in made.items() if parse(item["start"]).astimezone(new_york).date() == day
    }
    assert named(listing(p1, **{"from": iso, "to": iso})) == expected
    assert expected != {"midnight", "23:30"}


def test_rfc3339_bounds_are_exact(api: Api) -> None:
    starts = [api.future(days=3, hours=hour) for hour in range(4)]
    made = [api.create("r1", start=start) for start in starts]
    r1 = api.client("r1")
    low, high = parse(made[1]["start"]), parse(made[3]["start"])
    # from is inclusive, to exclusive; any offset, Z included, names the same instant.
    for low_text, high_text in [
        (low.isoformat().replace("+00:00", "Z"), high.isoformat()),
        (
            low.astimezone(ZoneInfo("Asia/Kolkata")).isoformat(),
            high.astimezone(ZoneInfo("America/Denver")).isoformat(),
        ),
    ]:
        assert ids(listing(r1, **{"from": low_text, "to": high_text})) == [made[1]["id"], made[2]["id"]]
    just_after = (low + timedelta(seconds=1)).isoformat()
    assert ids(listing(r1, **{"from": just_after, "to": high.isoformat()})) == [made[2]["id"]]
    assert listing(r1, **{"from": high.isoformat(), "to": low.isoformat()}) == []


@pytest.fixture
def texts(api: Api) -> dict[str, dict[str, Any]]:
    return {
        "mri": api.create("r1", purpose="Discuss the MRI findings"),
        "percent": api.create("p1", purpose="We are 100% sure"),
        "hundred": api.create("p1", purpose="100 reasons"),  # what "100%" would match as a wildcard
        "underscore": api.create("r1", purpose="see file scan_07"),
        "dash": api.create("r1", purpose="see file scan-07"),  # what "scan_07" would match as a wildcard
        "none": api.create("r1"),
        "other case": api.create("r2", case_id="C-2", purpose="MRI of the other case"),
    }


SEARCHES: list[tuple[str, set[str], set[str]]] = [
    ("MRI", {"mri", "other case"}, {"mri"}),
    ("mri", {"mri", "other case"}, {"mri"}),
    ("  MRI  ", {"mri", "other case"}, {"mri"}),
    ("%", {"percent"}, {"percent"}),
    ("100%", {"percent"}, {"percent"}),
    ("100", {"percent", "hundred"}, {"percent", "hundred"}),
    ("_", {"underscore"}, {"underscore"}),
    ("scan_07", {"underscore"}, {"underscore"}),
    ("scan", {"underscore", "dash"}, {"underscore", "dash"}),
    ("Case one", C1, C1),
    ("case TWO", {"other case"}, set()),
    ("Paul Prov", C1, C1),
    ("Rob Outsider", {"other case"}, set()),
    ("C-2", {"other case"}, set()),
    ("C-1", C1, C1),
    ("\\", set(), set()),
    ("'", set(), set()),
    ("zzz-nothing", set(), set()),
]


def test_free_text_search(api: Api, texts: dict[str, dict[str, Any]]) -> None:
    def named(who: str, q: str) -> set[str]:
        found = set(ids(listing(api.client(who), q=q)))
        return {name for name, item in texts.items() if item["id"] in found}

    wrong = [
        f"q={q!r}: admin found {named('admin', q)}, r1 found {named('r1', q)}"
        for q, admin_sees, r1_sees in SEARCHES
        if (named("admin", q), named("r1", q)) != (admin_sees, r1_sees)
    ]
    assert not wrong, "\n".join(wrong)


def test_empty_search_lists_everything(api: Api, texts: dict[str, dict[str, Any]]) -> None:
    everything = listing(api.client("admin"))
    assert listing(api.client("admin"), q="") == everything
    assert listing(api.client("admin"), q="   ") == everything


def test_filters_combine(api: Api, texts: dict[str, dict[str, Any]]) -> None:
    assert api.act("p1", texts["mri"]["id"], "accept").status_code == 200
    admin = api.client("admin")
    assert ids(listing(admin, q="MRI", status="accepted")) == [texts["mri"]["id"]]
    assert ids(listing(admin, q="MRI", status="pending")) == [texts["other case"]["id"]]
    assert ids(listing(admin, q="MRI", case_id="C-2")) == [texts["other case"]["id"]]
    assert listing(admin, q="MRI", case_id="C-2", status="accepted") == []


def test_cases_list_with_pending_counts(
    api: Api, many: list[dict[str, Any]], elsewhere: list[dict[str, Any]]
) -> None:
    assert many[0]["type"] == "provider"
    assert many[1]["type"] == "requester"
    assert api.act("r1", many[0]["id"], "accept").status_code == 200
    assert api.act("r1", many[0]["id"], "cancel").status_code == 200
    assert api.act("p1", many[1]["id"], "accept").status_code == 200
    pending_c1 = len(many) - 2

    def cases(who: str, **params: Any) -> dict[str, Any]:
        response = api.client(who).get("/cases", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        return dict(body)

    r1 = cases("r1")
    assert r1["next_cursor"] is None
    assert [case["id"] for case in r1["items"]] == ["C-1"]
    case = r1["items"][0]
    assert set(case) == CASE_FIELDS
    assert case["title"] == "Case one"
    assert case["pending_appointments"] == pending_c1
    assert case["requester"] == {"id": case["requester"]["id"], "name": "Rita Requester", "role": "requester"}
    assert case["provider"] == {"id": case["provider"]["id"], "name": "Paul Provider", "role": "provider"}
    parse(case["created_at"])

    admin = cases("admin")
    assert {c["id"]: c["pending_appointments"] for c in admin["items"]} == {"C-1": pending_c1, "C-2": 3}
    assert [c["id"] for c in cases("p2")["items"]] == ["C-2"]
    assert [c["id"] for c in cases("r2")["items"]] == ["C-2"]

    first = cases("admin", limit=1)
    assert [c["id"] for c in first["items"]] == ["C-1"]
    second = cases("admin", limit=1, cursor=first["next_cursor"])
    assert [c["id"] for c in second["items"]] == ["C-2"]
    assert second["next_cursor"] is None

    single = api.client("p1").get("/cases/C-1")
    assert single.status_code == 200, single.text
    assert single.json() == case
    assert_problem(api.client("r2").get("/cases/C-1"), 404)
    assert_problem(api.client("anon").get("/cases"), 401)


def test_appointment_has_exactly_the_contract_fields(api: Api) -> None:
    start = api.future(days=4)
    created = api.create("r1", start=start, purpose="Discuss the MRI", duration_minutes=45)
    for body in (created, api.get("r1", created["id"]), listing(api.client("p1"))[0]):
        assert set(body) == APPOINTMENT_FIELDS | {"proposed_by"}
        for person in ("created_by", "proposed_by", "awaiting", "requester", "provider"):
            assert set(body[person]) == {"id", "name", "role"}, person
        assert body["case_id"] == "C-1"
        assert parse(body["start"]) == parse(start)
        assert parse(body["end"]) - parse(body["start"]) == timedelta(minutes=45)
        assert body["duration_minutes"] == 45
        assert body["purpose"] == "Discuss the MRI"
        assert body["status"] == "pending"
        assert body["type"] == "requester"
        assert body["created_by"]["name"] == body["proposed_by"]["name"] == "Rita Requester"
        assert body["awaiting"] == body["provider"]
        assert body["requester"]["name"] == "Rita Requester"
        assert body["requester"]["role"] == "requester"
        assert body["provider"]["name"] == "Paul Provider"
        assert body["provider"]["role"] == "provider"
        assert body["reason"] is None
        assert body["version"] == 1
        assert parse(body["created_at"]) == parse(body["updated_at"])
        assert isinstance(body["id"], int)


def test_type_is_the_role_of_the_one_who_asked(api: Api) -> None:
    by_provider = api.create("p1")
    assert by_provider["type"] == "provider"
    assert by_provider["awaiting"] == by_provider["requester"]
    assert api.create("r1")["type"] == "requester"


def test_timezone_defaults_to_the_creators(api: Api) -> None:
    assert api.create("r1")["timezone"] == world.PEOPLE["r1"][3] == "Europe/Berlin"
    assert api.create("p1")["timezone"] == world.PEOPLE["p1"][3] == "America/New_York"
    assert api.create("r1", timezone="Asia/Tokyo")["timezone"] == "Asia/Tokyo"
    # Times are instants: the zone is for display and does not shift the start.
    start = api.future(days=2)
    assert parse(api.create("p1", start=start, timezone="Australia/Sydney")["start"]) == parse(start)


def test_etag_is_the_version_and_location_points_at_the_new_appointment(
    server: ServerThread, api: Api
) -> None:
    response = api.client("r1").post("/cases/C-1/appointments", json={"start": api.future()})
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["etag"] == '"1"'
    location = response.headers["location"]
    assert location.endswith(f"{API}/appointments/{created['id']}")
    fetched = api.client("p1").get(httpx.URL(server.url).join(location))
    assert fetched.status_code == 200, fetched.text
    assert fetched.json() == created
    assert fetched.headers["etag"] == f'"{created["version"]}"'

    accepted = api.act("p1", created["id"], "accept")
    assert accepted.headers["etag"] == '"2"'
    again = api.client("r1").get(f"/appointments/{created['id']}")
    assert again.json()["version"] == 2
    assert again.headers["etag"] == '"2"'
    changed = api.patch("r1", again.json(), purpose="New purpose")
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == f'"{changed.json()["version"]}"' == '"3"'


def test_free_text_folds_case_beyond_ascii(api: Api) -> None:
    wanted = api.create("r1", purpose="Befund von Frau MÜLLER, Straße 5")
    api.create("r1", purpose="Someone else")
    for query in ("müller", "MÜLLER", "Müller", "STRAßE"):
        found = api.client("r1").get("/appointments", params={"q": query}).json()["items"]
        assert [item["id"] for item in found] == [wanted["id"]], query
