"""Sign-in: login, opaque hashed tokens, expiry, refresh rotation, logout, throttling, GET /me."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from apptdesk.server.embedded import ServerThread
from tests.support import world
from tests.support.api import API, Api, assert_problem
from tests.support.databases import fetch

TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-]+")


@pytest.fixture
def http(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url + API, timeout=30) as client:
        yield client


def login(http: httpx.Client, who: str = "r1", password: str = world.PASSWORD) -> httpx.Response:
    return http.post("/auth/login", json={"email": world.email(who), "password": password})


def tokens(http: httpx.Client, who: str = "r1") -> dict[str, Any]:
    response = login(http, who)
    assert response.status_code == 200, response.text
    return dict(response.json())


def me(http: httpx.Client, access_token: str) -> httpx.Response:
    return http.get("/me", headers={"Authorization": f"Bearer {access_token}"})


def refresh(http: httpx.Client, refresh_token: str) -> httpx.Response:
    return http.post("/auth/refresh", json={"refresh_token": refresh_token})


def assert_unauthorized(response: httpx.Response) -> dict[str, Any]:
    body = assert_problem(response, 401)
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer"), response.headers
    return body


def test_login_returns_the_token_pair_and_the_user(http: httpx.Client) -> None:
    response = login(http, "p1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    email, name, role, zone = world.PEOPLE["p1"]
    assert body["user"] == {
        "id": body["user"]["id"],
        "email": email,
        "name": name,
        "role": role,
        "timezone": zone,
    }
    assert isinstance(body["user"]["id"], int)


def test_email_is_matched_case_insensitively(http: httpx.Client) -> None:
    response = http.post("/auth/login", json={"email": world.email("r1").upper(), "password": world.PASSWORD})
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email"] == world.email("r1")


def test_tokens_are_opaque_random_and_distinct(http: httpx.Client) -> None:
    first, second = tokens(http), tokens(http)
    values = [first["access_token"], first["refresh_token"], second["access_token"], second["refresh_token"]]
    assert len(set(values)) == 4
    for token in values:
        # Opaque: no JWT segments, nothing about the user inside; >= 128 bits of base64url (>= 22 chars).
        assert TOKEN_CHARS.fullmatch(token), token
        assert len(token) >= 32, token
        assert "." not in token
        assert world.email("r1").split("@")[0] not in token
    # The random parts differ in more than a counter would: no long shared substring beyond a prefix.
    a, b = first["access_token"], second["access_token"]
    common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    assert len(a) - common >= 22


def test_database_keeps_only_sha256_digests_of_tokens(http: httpx.Client, database_url: str) -> None:
    pair = tokens(http)
    stored = fetch(database_url, "SELECT token_hash FROM auth_tokens")
    digests = {row[0] for row in stored}
    for token in (pair["access_token"], pair["refresh_token"]):
        assert hashlib.sha256(token.encode()).hexdigest() in digests
    for table in ("auth_tokens", "auth_sessions"):
        dump = repr(fetch(database_url, f"SELECT * FROM {table}"))
        assert pair["access_token"] not in dump
        assert pair["refresh_token"] not in dump
        # Not even the random part without a prefix.
        assert pair["access_token"][-22:] not in dump
        assert pair["refresh_token"][-22:] not in dump


def test_unknown_email_and_wrong_password_get_the_same_401(http: httpx.Client) -> None:
    unknown = http.post("/auth/login", json={"email": "nobody@test.apptdesk.org", "password": world.PASSWORD})
    wrong = login(http, "r1", password="not-the-password")
    assert_unauthorized(unknown)
    assert_unauthorized(wrong)
    assert unknown.json() == wrong.json()
    assert unknown.headers["www-authenticate"] == wrong.headers["www-authenticate"]
    assert "access_token" not in unknown.text


GARBAGE_AUTHORIZATION = [
    None,
    "",
    "Bearer",
    "Bearer garbage",
    "Bearer apd_at_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "Bearer apd_rt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "Basic cml0YTpwYXNzd29yZA==",
    "Token abc",
    "Bearer " + "x" * 5000,
]


def test_missing_or_garbage_token_is_401(http: httpx.Client) -> None:
    for authorization in GARBAGE_AUTHORIZATION:
        headers = {} if authorization is None else {"Authorization": authorization}
        for path in ("/me", "/cases", "/appointments", "/appointments/1", "/cases/C-1/appointments"):
            assert_unauthorized(http.get(path, headers=headers))
        assert_unauthorized(http.post("/cases/C-1/appointments", headers=headers, json={}))
        assert_unauthorized(http.post("/auth/logout", headers=headers))


def test_refresh_token_is_not_an_access_token(http: httpx.Client) -> None:
    pair = tokens(http)
    assert_unauthorized(me(http, pair["refresh_token"]))


def test_access_token_expires_after_15_minutes(http: httpx.Client, api: Api) -> None:
    pair = tokens(http)
    api.clock.advance(timedelta(minutes=14))
    assert me(http, pair["access_token"]).status_code == 200
    api.clock.advance(timedelta(minutes=1, seconds=1))
    assert_unauthorized(me(http, pair["access_token"]))


def test_refresh_gives_a_new_pair_after_the_access_token_expired(http: httpx.Client, api: Api) -> None:
    pair = tokens(http)
    api.clock.advance(timedelta(minutes=16))
    assert_unauthorized(me(http, pair["access_token"]))
    response = refresh(http, pair["refresh_token"])
    assert response.status_code == 200, response.text
    fresh = response.json()
    assert set(fresh) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert fresh["token_type"] == "bearer"
    assert fresh["user"]["email"] == world.email("r1")
    assert fresh["access_token"] != pair["access_token"]
    assert fresh["refresh_token"] != pair["refresh_token"]
    assert me(http, fresh["access_token"]).json()["email"] == world.email("r1")


def test_refresh_rotates_and_reuse_ends_the_sign_in(http: httpx.Client) -> None:
    first = tokens(http)
    second = refresh(http, first["refresh_token"]).json()
    assert_unauthorized(refresh(http, first["refresh_token"]))  # spent
    # Presenting a spent token is a theft signal: the whole sign-in is revoked, newest tokens included.
    assert_unauthorized(refresh(http, second["refresh_token"]))
    assert_unauthorized(me(http, second["access_token"]))


def test_reuse_revokes_only_that_sign_in(http: httpx.Client) -> None:
    stolen, other = tokens(http), tokens(http)
    refresh(http, stolen["refresh_token"])
    refresh(http, stolen["refresh_token"])
    assert me(http, other["access_token"]).status_code == 200
    assert refresh(http, other["refresh_token"]).status_code == 200


def test_a_sign_in_lasts_12_hours_at_most(http: httpx.Client, api: Api) -> None:
    pair = tokens(http)
    for _ in range(11):
        api.clock.advance(timedelta(hours=1))
        response = refresh(http, pair["refresh_token"])
        assert response.status_code == 200, response.text
        pair = response.json()
    api.clock.advance(timedelta(hours=1, minutes=1))
    assert_unauthorized(refresh(http, pair["refresh_token"]))
    assert_unauthorized(me(http, pair["access_token"]))
    # Signing in again starts a new 12 hours.
    assert me(http, tokens(http)["access_token"]).status_code == 200


def test_access_token_does_not_outlive_its_sign_in(http: httpx.Client, api: Api) -> None:
    pair = tokens(http)
    api.clock.advance(timedelta(hours=11, minutes=55))
    pair = refresh(http, pair["refresh_token"]).json()
    assert 0 < pair["expires_in"] <= 5 * 60  # what is left of the sign-in, not a full 15 minutes
    api.clock.advance(timedelta(minutes=6))  # 12 h 1 min after login, 6 min after the refresh
    assert_unauthorized(me(http, pair["access_token"]))


def test_logout_revokes_access_and_refresh_tokens(http: httpx.Client) -> None:
    pair, other = tokens(http), tokens(http)
    response = http.post("/auth/logout", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert response.status_code == 204
    assert response.content == b""
    assert_unauthorized(me(http, pair["access_token"]))
    assert_unauthorized(refresh(http, pair["refresh_token"]))
    # Another sign-in of the same person is untouched.
    assert me(http, other["access_token"]).status_code == 200


def test_logout_needs_a_valid_token(http: httpx.Client) -> None:
    assert_unauthorized(http.post("/auth/logout"))
    assert_unauthorized(http.post("/auth/logout", headers={"Authorization": "Bearer nope"}))


def test_repeated_failures_for_one_account_are_throttled(http: httpx.Client) -> None:
    for _ in range(5):
        assert_unauthorized(login(http, "r1", password="wrong-password"))
    for password in ("wrong-password", world.PASSWORD):
        response = login(http, "r1", password=password)
        assert_problem(response, 429)
        retry_after = response.headers.get("retry-after", "")
        assert retry_after.isdigit(), response.headers
        assert 0 < int(retry_after) <= 15 * 60
        assert "access_token" not in response.text
    # Other accounts from the same client still sign in.
    assert login(http, "p1").status_code == 200
    assert login(http, "admin").status_code == 200


def test_throttling_ignores_the_case_of_the_email(http: httpx.Client) -> None:
    for index in range(5):
        email = world.email("r1").upper() if index % 2 else world.email("r1")
        assert_unauthorized(http.post("/auth/login", json={"email": email, "password": "wrong-password"}))
    assert_problem(login(http, "r1"), 429)


def test_fewer_failures_than_the_limit_do_not_block(http: httpx.Client) -> None:
    for _ in range(4):
        assert_unauthorized(login(http, "r1", password="wrong-password"))
    assert login(http, "r1").status_code == 200
    # A success clears the count for that account.
    for _ in range(4):
        assert_unauthorized(login(http, "r1", password="wrong-password"))
    assert login(http, "r1").status_code == 200


def test_many_failures_from_one_client_are_throttled(http: httpx.Client) -> None:
    for index in range(30):
        response = http.post(
            "/auth/login", json={"email": f"guess{index}@test.apptdesk.org", "password": "wrong-password"}
        )
        assert_unauthorized(response)
    response = login(http, "p2")
    assert_problem(response, 429)
    assert response.headers.get("retry-after", "").isdigit()


def test_me_describes_the_signed_in_user(api: Api) -> None:
    for who in world.PEOPLE:
        response = api.client(who).get("/me")
        assert response.status_code == 200, response.text
        email, name, role, zone = world.PEOPLE[who]
        body = response.json()
        assert set(body) == {"id", "email", "name", "role", "timezone"}
        assert (body["email"], body["name"], body["role"], body["timezone"]) == (email, name, role, zone)
    assert_unauthorized(api.client("anon").get("/me"))
