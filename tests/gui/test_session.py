"""The session object the views use, against a real server."""

from __future__ import annotations

from typing import Any

from pytestqt.qtbot import QtBot

from apptdesk.models.session import AppSession
from tests.support.api import Api
from tests.support.qt import MemoryKeyring, wait_for


def test_changes_are_announced_once(qtbot: QtBot, session_for: Any, api: Api) -> None:
    requester: AppSession = session_for("r1")
    created = api.create("p1")
    seen: list[Any] = []
    requester.appointmentChanged.connect(seen.append)
    fresh = wait_for(qtbot, requester.appointment(created["id"]))
    accepted = wait_for(qtbot, requester.accept(fresh))
    assert accepted.status.value == "accepted"
    assert [a.status.value for a in seen] == ["pending", "accepted"]


def test_remember_me_keeps_the_refresh_token_in_the_keyring(
    qtbot: QtBot, session_for: Any, memory_keyring: MemoryKeyring
) -> None:
    session: AppSession = session_for("r1", remember=True)
    ((service, _), secret), *_ = memory_keyring.secrets.items()
    assert service == "apptdesk"
    assert secret.startswith("rita.r1@test.apptdesk.org\napd_rt_")
    wait_for(qtbot, session.sign_out())
    assert memory_keyring.secrets == {}
