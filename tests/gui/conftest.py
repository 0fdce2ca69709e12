"""GUI fixtures: a qasync loop on the test's QApplication, an in-memory keyring, a signed-in session."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest
import qasync
from pytestqt.qtbot import QtBot

from apptdesk.models.session import AppSession
from apptdesk.server.embedded import ServerThread
from tests.support import world
from tests.support.databases import sqlite_database_url
from tests.support.qt import MemoryKeyring, use_keyring, wait_for

# The client's tests exercise the client; one database backend (SQLite) is enough for them.
database_url = sqlite_database_url


@pytest.fixture
def loop(qapp: Any, qtbot: QtBot) -> Iterator[asyncio.AbstractEventLoop]:
    """The qasync loop on the test's QApplication; an error in any task or slot fails the test."""
    event_loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(event_loop)
    problems: list[dict[str, Any]] = []
    event_loop.set_exception_handler(lambda _loop, context: problems.append(context))
    yield event_loop
    # Drain: cancel what still runs (each task once: a second cancel while a task unwinds interrupts an
    # HTTP response's clean-up, encode/httpcore#1115), then let collected async generators close on
    # this loop while it still runs; their clean-up may start tasks of its own, so look again.
    cancelled: set[asyncio.Future[Any]] = set()
    for _ in range(5):
        gc.collect()
        pending = {task for task in asyncio.all_tasks(event_loop) if not task.done()}
        for task in pending - cancelled:
            task.cancel()
        cancelled |= pending
        closing = asyncio.ensure_future(event_loop.shutdown_asyncgens())
        waiting = {closing, *cancelled}
        qtbot.waitUntil(lambda waiting=waiting: all(task.done() for task in waiting), timeout=5_000)
        if not [task for task in asyncio.all_tasks(event_loop) if not task.done()]:
            break
    # Leave the thread as we found it: no running loop, the loop's worker threads joined.
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    executor = getattr(event_loop, "_QEventLoop__default_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)
    assert not problems, f"errors inside async tasks: {problems}"


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    backend = MemoryKeyring()
    use_keyring(backend)
    return backend


@pytest.fixture
def session_for(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, server: ServerThread, memory_keyring: MemoryKeyring
) -> Iterator[Any]:
    """``session_for("r1")``: an AppSession signed in as that person of the test world."""
    sessions: list[AppSession] = []

    def make(who: str, remember: bool = False) -> AppSession:
        session = AppSession()
        session.connect_to(server.url)
        wait_for(qtbot, session.sign_in(world.email(who), world.PASSWORD, remember))
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        wait_for(qtbot, session.close())
