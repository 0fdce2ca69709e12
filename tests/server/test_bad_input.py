"""Bad input gets a 4xx problem+json with a readable detail, never a 500, and changes nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support.api import Api, assert_problem
from tests.support.databases import fetch_each

Body = Callable[[Api], dict[str, Any]]
MB = 1_000_000


@dataclass(frozen=True)
class Probe:
    expect: int
    body: Body = field(default=lambda _api: {})
    mentions: str = ""


def _json(value: Any) -> Body:
    return lambda _api: {"json": value}


def _raw(content: bytes | str, content_type: str = "application/json") -> Body:
    return lambda _api: {"content": content, "headers": {"Content-Type": content_type}}


def _start(value: Callable[[Api], Any], **extra: Any) -> Body:
    return lambda api: {"json": {"start": value(api), **extra}}


def _valid(**extra: Any) -> Body:
    return _start(lambda api: api.future(), **extra)


def _cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _naive(api: Api) -> str:
    return api.future()[:19]  # 2026-12-01T09:30:00 without its offset


# Shared by every endpoint that takes a JSON object.
BODY_SHAPE = {
    "malformed JSON": Probe(400, _raw(b'{"start": "2030-01-01T09:00:00Z",')),
    "truncated JSON": Probe(400, _raw(b"{")),
    "not JSON at all": Probe(400, _raw(b"start=tomorrow")),
    "plain text content type": Probe(422, _raw(b"start=tomorrow", "text/plain")),
    "form encoded": Probe(422, lambda _api: {"data": {"start": "tomorrow"}}),
    "a list instead of an object": Probe(422, _json([])),
    "a string instead of an object": Probe(422, _json("hello")),
    "a number instead of an object": Probe(422, _json(42)),
}

CREATE = {
    **BODY_SHAPE,
    "missing start": Probe(422, _json({}), "start"),
    "null start": Probe(422, _json({"start": None}), "start"),
    "past start": Probe(422, _start(lambda api: api.future(days=-1)), "future"),
    "start now-ish": Probe(422, _start(lambda api: api.future(seconds=-5)), "future"),
    "start without offset": Probe(422, _start(_naive), "offset"),
    "start as a date only": Probe(422, _start(lambda api: api.future()[:10]), "start"),
    "start as a number": Probe(422, _json({"start": 1_900_000_000}), "start"),
    "start as garbage": Probe(422, _json({"start": "tomorrow at nine"}), "start"),
    "start in year 9999": Probe(422, _json({"start": "9999-12-31T23:59:59+00:00"}), "start"),
    "start in year 1": Probe(422, _json({"start": "0001-01-01T00:00:00+05:00"}), "start"),
    "start too far ahead": Probe(422, _start(lambda api: api.future(days=800)), "start"),
    "start with impossible offset": Probe(422, _json({"start": "2030-01-01T09:00:00+25:00"}), "start"),
    "duration 0": Probe(422, _valid(duration_minutes=0), "duration_minutes"),
    "duration 4": Probe(422, _valid(duration_minutes=4), "duration_minutes"),
    "duration 481": Probe(422, _valid(duration_minutes=481), "duration_minutes"),
    "duration 100000": Probe(422, _valid(duration_minutes=100000), "duration_minutes"),
    "duration negative": Probe(422, _valid(duration_minutes=-30), "duration_minutes"),
    "duration fractional": Probe(422, _valid(duration_minutes=30.5), "duration_minutes"),
    "duration abc": Probe(422, _valid(duration_minutes="abc"), "duration_minutes"),
    "duration null": Probe(422, _valid(duration_minutes=None), "duration_minutes"),
    "duration huge integer": Probe(422, _valid(duration_minutes=10**40), "duration_minutes"),
    "purpose 2001 chars": Probe(422, _valid(purpose="x" * 2001), "purpose"),
    "purpose 1 MB": Probe(413, _valid(purpose="x" * MB)),
    "purpose a number": Probe(422, _valid(purpose=123), "purpose"),
    "purpose with NUL": Probe(422, _valid(purpose="a\x00b"), "purpose"),
    "unknown timezone": Probe(422, _valid(timezone="Mars/Olympus_Mons"), "timezone"),
    "empty timezone": Probe(422, _valid(timezone=""), "timezone"),
    "timezone path": Probe(422, _valid(timezone="../../etc/passwd"), "timezone"),
    "timezone of the host": Probe(422, _valid(timezone="localtime"), "timezone"),
    "timezone not a name": Probe(422, _valid(timezone=["Europe/Berlin"]), "timezone"),
    "unknown field": Probe(422, _valid(colour="red"), "colour"),
    "status smuggled in": Probe(422, _valid(status="accepted"), "status"),
    "id smuggled in": Probe(422, _valid(id=1), "id"),
}

PATCH = {
    **BODY_SHAPE,
    "nothing to change": Probe(422, _json({}), "change"),
    "null start": Probe(422, _json({"start": None}), "start"),
    "past start": Probe(422, _start(lambda api: api.future(days=-1)), "future"),
    "start without offset": Probe(422, _start(_naive), "offset"),
    "start as a number": Probe(422, _json({"start": 1_900_000_000}), "start"),
    "duration 0": Probe(422, _json({"duration_minutes": 0}), "duration_minutes"),
    "duration 4": Probe(422, _json({"duration_minutes": 4}), "duration_minutes"),
    "duration 481": Probe(422, _json({"duration_minutes": 481}), "duration_minutes"),
    "duration 100000": Probe(422, _json({"duration_minutes": 100000}), "duration_minutes"),
    "duration abc": Probe(422, _json({"duration_minutes": "abc"}), "duration_minutes"),
    "duration null": Probe(422, _json({"duration_minutes": None}), "duration_minutes"),
    "purpose 2001 chars": Probe(422, _json({"purpose": "x" * 2001}), "purpose"),
    "purpose 1 MB": Probe(413, _json({"purpose": "x" * MB})),
    "purpose with NUL": Probe(422, _json({"purpose": "\x00"}), "purpose"),
    "unknown field": Probe(422, _json({"purpose": "ok", "status": "accepted"}), "status"),
    "timezone is not editable": Probe(422, _json({"timezone": "UTC"}), "timezone"),
}

REASON = {
    **BODY_SHAPE,
    "reason of 501 chars": Probe(422, _json({"reason": "x" * 501}), "reason"),
    "reason of 1 MB": Probe(413, _json({"reason": "x" * MB})),
    "reason a number": Probe(422, _json({"reason": 5}), "reason"),
    "reason a list": Probe(422, _json({"reason": ["a"]}), "reason"),
    "reason with NUL": Probe(422, _json({"reason": "no\x00"}), "reason"),
    "unknown field": Probe(422, _json({"reason": "ok", "notify": False}), "notify"),
}

LOGIN = {
    **BODY_SHAPE,
    "missing password": Probe(422, _json({"email": "rita.r1@test.apptdesk.org"}), "password"),
    "missing email": Probe(422, _json({"password": "correct-horse-battery"}), "email"),
    "empty email": Probe(422, _json({"email": "", "password": "x"}), "email"),
    "empty password": Probe(422, _json({"email": "rita.r1@test.apptdesk.org", "password": ""}), "password"),
    "email a number": Probe(422, _json({"email": 5, "password": "x"}), "email"),
    "password a list": Probe(422, _json({"email": "a@b.c", "password": ["x"]}), "password"),
    "password of 1025 chars": Probe(422, _json({"email": "a@b.c", "password": "x" * 1025}), "password"),
    "password of 1 MB": Probe(413, _json({"email": "a@b.c", "password": "x" * MB})),
    "email with NUL": Probe(422, _json({"email": "rita\x00@test.apptdesk.org", "password": "x"}), "email"),
    "unknown field": Probe(422, _json({"email": "a@b.c", "password": "x", "remember": True}), "remember"),
}

REFRESH = {
    **BODY_SHAPE,
    "missing token": Probe(422, _json({}), "refresh_token"),
    "token a number": Probe(422, _json({"refresh_token": 7}), "refresh_token"),
    "token too long": Probe(422, _json({"refresh_token": "apd_rt_" + "x" * 300}), "refresh_token"),
    "unknown field": Probe(422, _json({"refresh_token": "x", "extra": 1}), "extra"),
}

LIST_QUERY: dict[str, tuple[int, dict[str, Any], str]] = {
    "garbage cursor": (400, {"cursor": "!!!not-a-cursor!!!"}, "cursor"),
    "cursor of random base64": (400, {"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
    "cursor of the wrong shape": (400, {"cursor": _cursor({"start": 1})}, "cursor"),
    "cursor with a naive time": (400, {"cursor": _cursor(["2030-01-01T00:00:00", 1])}, "cursor"),
    "cursor with a huge id": (400, {"cursor": _cursor(["2030-01-01T00:00:00+00:00", 10**30])}, "cursor"),
    "cursor beyond 32 bits": (400, {"cursor": _cursor(["2030-01-01T00:00:00+00:00", 2**31])}, "cursor"),
    "cursor with a bool id": (400, {"cursor": _cursor(["2030-01-01T00:00:00+00:00", True])}, "cursor"),
    "cursor in year 1": (400, {"cursor": _cursor(["0001-01-01T00:00:00+05:00", 1])}, "cursor"),
    "cursor in year 9999": (400, {"cursor": _cursor(["9999-12-31T23:59:59-05:00", 1])}, "cursor"),
    "cursor too long": (422, {"cursor": "A" * 600}, "cursor"),
    "limit 0": (422, {"limit": 0}, "limit"),
    "limit 501": (422, {"limit": 501}, "limit"),
    "limit negative": (422, {"limit": -1}, "limit"),
    "limit abc": (422, {"limit": "abc"}, "limit"),
    "limit huge": (422, {"limit": "9" * 40}, "limit"),
    "bad status": (422, {"status": "done"}, "status"),
    "empty status": (422, {"status": ""}, "status"),
    "one bad status among good": (422, {"status": ["pending", "PENDING"]}, "status"),
    "bad from date": (422, {"from": "2026-13-45"}, "from"),
    "from as words": (422, {"from": "next week"}, "from"),
    "from without offset": (422, {"from": "2030-12-01T09:00:00"}, "from"),
    "from in year 1": (422, {"from": "0001-01-01"}, "from"),
    "from in year 1 with offset": (422, {"from": "0001-01-01T00:00:00+05:00"}, "from"),
    "to on the last day": (422, {"to": "9999-12-31"}, "to"),
    "bad to date": (422, {"to": "2030-02-30"}, "to"),
    "q too long": (422, {"q": "x" * 201}, "q"),
    "q with NUL": (400, {"q": "a\x00b"}, "NUL"),
}


@pytest.fixture
def pending(api: Api) -> dict[str, Any]:
    api.create("p1", purpose="Someone else's")  # a second row that must stay untouched too
    return api.create("r1", purpose="Discuss the MRI", duration_minutes=45)


def snapshot(database_url: str) -> list[list[tuple[object, ...]]]:
    return fetch_each(
        database_url,
        "SELECT id, case_id, start_at, end_at, duration_minutes, timezone, purpose, status,"
        " proposed_by_id, reason, version, updated_at FROM appointments ORDER BY id",
        "SELECT id, appointment_id, action, to_status FROM appointment_history ORDER BY id",
        "SELECT id, revoked_at FROM auth_sessions ORDER BY id",
        "SELECT id, email, name, role, timezone, password_hash FROM users ORDER BY id",
    )


def _check(response: httpx.Response, probe: Probe) -> None:
    body = assert_problem(response, probe.expect)
    assert "Traceback" not in body["detail"]
    if probe.mentions:
        assert probe.mentions.lower() in body["detail"].lower(), body


class Findings:
    """Runs many probes in one test and reports every one that misbehaved, not just the first."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.before = snapshot(database_url)
        self.failures: list[str] = []

    def check(
        self, name: str, probe: Probe, send: Callable[..., httpx.Response], *args: Any, **kwargs: Any
    ) -> None:
        try:
            _check(send(*args, **kwargs), probe)
            assert snapshot(self.database_url) == self.before, "the database changed"
        except (AssertionError, httpx.HTTPError) as error:
            self.failures.append(f"{name}: {error}")
            self.before = snapshot(self.database_url)

    def assert_none(self) -> None:
        assert not self.failures, "\n".join(self.failures)


def _signed_in(api: Api, *people: str) -> None:
    for who in people:
        api.client(who)  # sign in now, so the sign-in is not counted as a change


def test_create_refuses_bad_input(api: Api, pending: dict[str, Any], database_url: str) -> None:
    findings = Findings(database_url)
    for name, probe in CREATE.items():
        request = probe.body(api)
        findings.check(name, probe, api.client("r1").post, "/cases/C-1/appointments", **request)
    findings.assert_none()


def test_patch_refuses_bad_input(api: Api, pending: dict[str, Any], database_url: str) -> None:
    findings = Findings(database_url)
    for name, probe in PATCH.items():
        request = probe.body(api)
        request["headers"] = {**request.get("headers", {}), "If-Match": f'"{pending["version"]}"'}
        findings.check(name, probe, api.client("r1").patch, f"/appointments/{pending['id']}", **request)
    findings.assert_none()
    assert api.get("r1", pending["id"]) == pending


@pytest.mark.parametrize(("who", "action"), [("p1", "reject"), ("r1", "cancel")])
def test_reject_and_cancel_refuse_bad_input(
    who: str, action: str, api: Api, pending: dict[str, Any], database_url: str
) -> None:
    _signed_in(api, who)
    findings = Findings(database_url)
    for name, probe in REASON.items():
        request = probe.body(api)
        url = f"/appointments/{pending['id']}/{action}"
        findings.check(name, probe, api.client(who).post, url, **request)
    findings.assert_none()
    assert api.get(who, pending["id"]) == pending


def test_login_refuses_bad_input(api: Api, database_url: str) -> None:
    findings = Findings(database_url)
    for name, probe in LOGIN.items():
        request = probe.body(api)
        findings.check(name, probe, api.client("anon").post, "/auth/login", **request)
    findings.assert_none()
    # None of that counted as a failed sign-in attempt.
    assert api.client("r1").get("/me").status_code == 200


def test_refresh_refuses_bad_input(api: Api, database_url: str) -> None:
    findings = Findings(database_url)
    for name, probe in REFRESH.items():
        request = probe.body(api)
        findings.check(name, probe, api.client("anon").post, "/auth/refresh", **request)
    findings.assert_none()


@pytest.mark.parametrize("path", ["/appointments", "/cases/C-1/appointments"])
def test_lists_refuse_bad_queries(path: str, api: Api, pending: dict[str, Any], database_url: str) -> None:
    findings = Findings(database_url)
    for name, (expect, params, mentions) in LIST_QUERY.items():
        findings.check(name, Probe(expect, mentions=mentions), api.client("r1").get, path, params=params)
    findings.assert_none()


def test_case_list_refuses_bad_queries(api: Api, database_url: str) -> None:
    _signed_in(api, "r1")
    findings = Findings(database_url)
    probes: list[tuple[dict[str, Any], int]] = [
        ({"cursor": "!!!"}, 400),
        ({"cursor": _cursor([5])}, 400),
        ({"cursor": _cursor(["C-1", "C-2"])}, 400),
        ({"cursor": _cursor(["C-\x00"])}, 400),
        ({"limit": 0}, 422),
        ({"limit": 501}, 422),
    ]
    for params, expect in probes:
        findings.check(repr(params), Probe(expect), api.client("r1").get, "/cases", params=params)
    findings.assert_none()


BAD_IDS = [
    ("0", 422),
    ("-1", 422),
    ("abc", 422),
    ("1.5", 422),
    ("1e3", 422),
    ("%20", 422),
    (str(2**31), 422),  # the id column is 32 bits: refused as out of range, not a database error
    (str(2**63), 422),
    ("9" * 100, 422),
    (str(2**31 - 1), 404),
    ("999999", 404),
]


def test_appointment_ids_are_checked(api: Api, database_url: str) -> None:
    _signed_in(api, "r1", "p1")
    r1, p1 = api.client("r1"), api.client("p1")
    findings = Findings(database_url)
    for raw_id, expect in BAD_IDS:
        url = f"/appointments/{raw_id}"
        findings.check(f"GET {url}", Probe(expect), r1.get, url)
        findings.check(f"GET {url}/history", Probe(expect), r1.get, f"{url}/history")
        findings.check(
            f"PATCH {url}", Probe(expect), r1.patch, url, json={"purpose": "x"}, headers={"If-Match": '"1"'}
        )
        findings.check(f"accept {url}", Probe(expect), p1.post, f"{url}/accept")
        findings.check(f"reject {url}", Probe(expect), p1.post, f"{url}/reject", json={"reason": "no"})
        findings.check(f"cancel {url}", Probe(expect), r1.post, f"{url}/cancel")
        findings.check(f"complete {url}", Probe(expect), r1.post, f"{url}/complete")
    findings.assert_none()


BAD_CASE_IDS = [
    ("C-999", 404),
    ("c-1", 404),
    ("x" * 5000, 404),
    ("C-1%00", 400),
    ("%00", 400),
    ("C-1'; DROP TABLE cases; --", 404),
]


def test_case_ids_are_checked(api: Api, database_url: str) -> None:
    _signed_in(api, "r1")
    client = api.client("r1")
    findings = Findings(database_url)
    for case_id, expect in BAD_CASE_IDS:
        url, label = f"/cases/{case_id}", repr(case_id[:30])
        findings.check(f"GET case {label}", Probe(expect), client.get, url)
        findings.check(f"GET appointments {label}", Probe(expect), client.get, f"{url}/appointments")
        findings.check(
            f"POST appointment {label}",
            Probe(expect),
            client.post,
            f"{url}/appointments",
            json={"start": api.future()},
        )
    findings.assert_none()


def test_case_id_filter_with_nul_is_refused(api: Api) -> None:
    _check(api.client("r1").get("/appointments", params={"case_id": "C-1\x00"}), Probe(400))


def test_valid_input_still_works_after_all_that(api: Api, pending: dict[str, Any]) -> None:
    # The probes above must not have been refused for a reason that also refuses good requests.
    client = api.client("r1")
    listed = client.get("/appointments", params={"status": ["pending"], "from": "2000-01-01", "limit": 500})
    assert listed.status_code == 200, listed.text
    assert pending["id"] in [item["id"] for item in listed.json()["items"]]
    changed = api.patch("r1", pending, purpose="Discuss the MRI and the CT", duration_minutes=480)
    assert changed.status_code == 200, changed.text
    assert api.act("p1", pending["id"], "reject", reason="x" * 500).status_code == 200
