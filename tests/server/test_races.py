"""Racing writes through the real server: of two racing changes exactly one wins, and If-Match is honoured.

The racers are fired together from an asyncio event loop (one connection each) and released by a
barrier, so they reach the server at the same moment rather than one after the other.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.server.oracle import other_participant, people
from tests.support.api import API, Api, assert_problem

RACERS = 20


def _headers(api: Api, who: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"Authorization": api.client(who).headers["Authorization"], **(extra or {})}


async def _race(api: Api, requests: list[tuple[str, str, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Send (who, method, path, kwargs) all at once; the answers in the same order."""
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=len(requests))
    async with httpx.AsyncClient(base_url=api.base_url + API, timeout=60, limits=limits) as client:
        # Open every connection first (a cheap 401 each), so no racer queues behind connection setup.
        await asyncio.gather(*(client.get("/me") for _ in requests))
        gate = asyncio.Event()

        async def one(who: str, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
            headers = _headers(api, who, kwargs.pop("headers", None))
            await gate.wait()
            return await client.request(method, path, headers=headers, **kwargs)

        tasks = [asyncio.create_task(one(*request)) for request in requests]
        await asyncio.sleep(0.05)
        gate.set()
        return list(await asyncio.gather(*tasks))


def race(api: Api, requests: list[tuple[str, str, str, dict[str, Any]]]) -> list[httpx.Response]:
    return asyncio.run(_race(api, requests))


def history(api: Api, appointment_id: int) -> list[dict[str, Any]]:
    response = api.client("r1").get(f"/appointments/{appointment_id}/history")
    assert response.status_code == 200, response.text
    return list(response.json())


def one_winner(responses: list[httpx.Response], losers: set[int]) -> httpx.Response:
    codes = Counter(response.status_code for response in responses)
    winners = [response for response in responses if response.status_code == 200]
    assert len(winners) == 1, codes
    assert set(codes) - {200} <= losers, codes
    for response in responses:
        if response.status_code != 200:
            assert_problem(response, response.status_code)
    return winners[0]


@pytest.mark.parametrize("if_match", [False, True], ids=["without-if-match", "with-if-match"])
def test_racing_reject_and_cancel(api: Api, if_match: bool) -> None:
    """p1 rejects and r1 cancels the same pending appointment, ten times each, all at once."""
    for _round in range(3):
        created = api.create("r1")
        headers = {"If-Match": f'"{created["version"]}"'} if if_match else {}
        requests = [
            (
                "p1" if i % 2 else "r1",
                "POST",
                f"/appointments/{created['id']}/{'reject' if i % 2 else 'cancel'}",
                {"json": {"reason": f"racer {i}"}, "headers": headers},
            )
            for i in range(RACERS)
        ]
        responses = race(api, requests)
        winner = one_winner(responses, {409, 412})
        won = winner.json()
        assert won["status"] in ("rejected", "canceled")
        assert won["version"] == created["version"] + 1

        current = api.get("r1", created["id"])
        assert current == won
        entries = history(api, created["id"])
        assert [entry["action"] for entry in entries[:1]] == ["created"]
        assert len(entries) == 2, entries
        change = entries[1]
        assert (change["from_status"], change["to_status"]) == ("pending", won["status"])
        assert change["reason"] == won["reason"]
        index = responses.index(winner)
        assert won["reason"] == f"racer {index}", "the stored reason is not the winner's"


def test_racing_answers_leave_a_consistent_history(api: Api) -> None:
    """Accepts, rejects and cancels at once: every 200 is exactly one history entry, and they chain."""
    created = api.create("r1")
    path = f"/appointments/{created['id']}"
    requests = []
    for i in range(RACERS):
        who, action = [("p1", "accept"), ("p1", "reject"), ("r1", "cancel"), ("p1", "cancel")][i % 4]
        requests.append((who, "POST", f"{path}/{action}", {}))
    responses = race(api, requests)
    codes = Counter(response.status_code for response in responses)
    assert set(codes) <= {200, 409}, codes
    assert 1 <= codes[200] <= 2, codes  # an accept may be followed by a cancel; nothing else can follow
    entries = history(api, created["id"])
    assert len(entries) == 1 + codes[200]
    assert entries[0]["to_status"] == "pending"
    for before, after in itertools.pairwise(entries):
        assert after["from_status"] == before["to_status"]
    final = api.get("r1", created["id"])
    assert final["status"] == entries[-1]["to_status"]
    assert final["version"] == created["version"] + codes[200]


def test_racing_edits_with_the_same_if_match(api: Api) -> None:
    created = api.create("r1", purpose="original")
    headers = {"If-Match": f'"{created["version"]}"'}
    requests = [
        (
            "r1",
            "PATCH",
            f"/appointments/{created['id']}",
            {"json": {"purpose": f"edit {i}"}, "headers": headers},
        )
        for i in range(RACERS)
    ]
    responses = race(api, requests)
    winner = one_winner(responses, {409, 412})
    assert winner.json()["purpose"] == f"edit {responses.index(winner)}"
    current = api.get("r1", created["id"])
    assert current == winner.json()
    assert current["version"] == created["version"] + 1
    entries = history(api, created["id"])
    assert [entry["action"] for entry in entries] == ["created", "edited"]
    assert entries[1]["changes"]["purpose"] == ["original", current["purpose"]]


def test_racing_reschedules_by_both_participants(api: Api) -> None:
    """Both participants move an accepted appointment at once: one counter-proposal survives."""
    created = api.create("r1")
    accepted = api.act("p1", created["id"], "accept").json()
    headers = {"If-Match": f'"{accepted["version"]}"'}
    requests = [
        (
            "p1" if i % 2 else "r1",
            "PATCH",
            f"/appointments/{created['id']}",
            {"json": {"start": api.future(days=2, minutes=i)}, "headers": headers},
        )
        for i in range(RACERS)
    ]
    responses = race(api, requests)
    winner = one_winner(responses, {403, 409, 412})
    moved = winner.json()
    mover = requests[responses.index(winner)][0]
    # A loser who reads the winner's counter-proposal is now the one asked to answer it, and may no
    # longer edit it: permission (403) comes before the precondition. The winner's side gets 409/412.
    for (who, *_), response in zip(requests, responses, strict=True):
        if response.status_code == 403:
            assert who != mover, response.text
    known = people(api)
    assert moved["status"] == "pending"
    assert moved["proposed_by"]["id"] == known[mover].id
    assert moved["awaiting"]["id"] == known[other_participant(mover)].id
    assert api.get("r1", created["id"]) == moved
    entries = history(api, created["id"])
    assert [entry["action"] for entry in entries] == ["created", "accepted", "rescheduled"]


def test_stale_if_match_is_412_and_changes_nothing(api: Api) -> None:
    created = api.create("r1", purpose="first")
    edited = api.patch("r1", created, purpose="second")
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == f'"{edited.json()["version"]}"'

    assert_problem(api.patch("r1", created, purpose="third"), 412)
    stale_headers = {"If-Match": f'"{created["version"]}"'}
    for who, action in (("p1", "accept"), ("p1", "reject"), ("r1", "cancel")):
        response = api.client(who).post(f"/appointments/{created['id']}/{action}", headers=stale_headers)
        assert_problem(response, 412)
    assert api.get("r1", created["id"]) == edited.json()
    assert len(history(api, created["id"])) == 2

    # The current ETag (and a list of tags holding it) is accepted.
    current = api.client("r1").get(f"/appointments/{created['id']}")
    tags = f'"{created["version"]}", {current.headers["ETag"]}'
    accepted = api.client("p1").post(f"/appointments/{created['id']}/accept", headers={"If-Match": tags})
    assert accepted.status_code == 200, accepted.text


def test_patch_without_if_match_is_428_and_changes_nothing(api: Api) -> None:
    created = api.create("r1", purpose="kept")
    response = api.client("r1").patch(f"/appointments/{created['id']}", json={"purpose": "lost"})
    assert_problem(response, 428)
    assert api.get("r1", created["id"]) == created
    assert len(history(api, created["id"])) == 1
