"""Talking to a running test server as each person of the test world."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support import world

API = "/api/v1"

# The appointment as the contract lists it (the server adds proposed_by).
APPOINTMENT_FIELDS = frozenset(
    {
        "id",
        "case_id",
        "start",
        "end",
        "duration_minutes",
        "timezone",
        "purpose",
        "status",
        "type",
        "created_by",
        "awaiting",
        "requester",
        "provider",
        "reason",
        "version",
        "created_at",
        "updated_at",
    }
)


class MutableClock:
    """The server's clock in tests: real time shifted by an offset the test controls."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


class Api:
    """A session per person, signed in on first use; ``anon`` never signs in."""

    def __init__(self, base_url: str, clock: MutableClock) -> None:
        self.base_url = base_url
        self.clock = clock
        self._clients: dict[str, httpx.Client] = {}

    def client(self, who: str) -> httpx.Client:
        if who not in self._clients:
            client = httpx.Client(base_url=self.base_url + API, timeout=30)
            if who != "anon":
                response = client.post(
                    "/auth/login", json={"email": world.email(who), "password": world.PASSWORD}
                )
                assert response.status_code == 200, response.text
                client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
            self._clients[who] = client
        return self._clients[who]

    def __getattr__(self, who: str) -> httpx.Client:
        if who.startswith("_"):
            raise AttributeError(who)
        return self.client(who)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def future(self, **delta: float) -> str:
        """An RFC 3339 time this far after the server's now (default: one day)."""
        moment = self.clock() + (timedelta(**delta) if delta else timedelta(days=1))
        return moment.replace(microsecond=0).isoformat()

    def create(self, who: str = "r1", case_id: str = "C-1", **body: Any) -> dict[str, Any]:
        body.setdefault("start", self.future())
        response = self.client(who).post(f"/cases/{case_id}/appointments", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def act(self, who: str, appointment_id: int, action: str, **body: Any) -> httpx.Response:
        return self.client(who).post(f"/appointments/{appointment_id}/{action}", json=body or None)

    def patch(self, who: str, appointment: dict[str, Any], **body: Any) -> httpx.Response:
        headers = {"If-Match": f'"{appointment["version"]}"'}
        return self.client(who).patch(f"/appointments/{appointment['id']}", json=body, headers=headers)

    def get(self, who: str, appointment_id: int) -> dict[str, Any]:
        response = self.client(who).get(f"/appointments/{appointment_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())


@contextmanager
def signed_in(base_url: str, who: str) -> Iterator[httpx.Client]:
    api = Api(base_url, MutableClock())
    try:
        yield api.client(who)
    finally:
        api.close()


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = dict(response.json())
    assert body["status"] == status
    assert isinstance(body["detail"], str), body
    assert body["detail"], body
    return body
