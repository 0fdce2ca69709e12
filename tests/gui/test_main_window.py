"""The main window driven as a person would: sign in, cases, a case's appointments, admin, failures."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton, QTableView
from pytestqt.qtbot import QtBot

from apptdesk.desktop.credentials import NO_KEYRING_NOTE, CredentialStore
from apptdesk.models.session import AppSession
from apptdesk.server.embedded import ServerThread
from apptdesk.views.login import LoginDialog
from apptdesk.views.main_window import MainWindow
from tests.support import world
from tests.support.api import Api
from tests.support.qt import NoKeyring, use_keyring, wait_for

WRITE_CONTROLS = [
    "requestAppointmentButton",
    "acceptButton",
    "rejectButton",
    "editButton",
    "rescheduleButton",
    "cancelButton",
    "completeButton",
]


@pytest.fixture
def window(
    qtbot: QtBot, loop: asyncio.AbstractEventLoop, server: ServerThread, memory_keyring: Any
) -> Iterator[MainWindow]:
    session = AppSession(CredentialStore())
    session.connect_to(server.url)
    main = MainWindow(session, local=False)
    qtbot.addWidget(main)
    main.show()
    yield main
    wait_for(qtbot, main.live.stop_and_wait())
    wait_for(qtbot, session.close())


def sign_in(qtbot: QtBot, window: MainWindow, who: str, remember: bool = False) -> None:
    dialog = window.ask_sign_in()
    assert dialog.objectName() == "loginDialog"
    dialog.findChild(QLineEdit, "emailEdit").setText(world.email(who))
    qtbot.keyClicks(dialog.findChild(QLineEdit, "passwordEdit"), world.PASSWORD)
    dialog.remember.setChecked(remember)
    qtbot.mouseClick(dialog.findChild(QPushButton, "loginButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.user is not None and window.is_ready, timeout=10_000)


def open_case(qtbot: QtBot, window: MainWindow, case_id: str) -> QTableView:
    view = window.cases_page.view
    row = window.cases_page.model.position_of(case_id)
    assert row is not None
    view.selectRow(row)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: window.case_view is not None and window.case_view.case.id == case_id, timeout=10_000
    )
    tab = window.case_view.appointments  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: tab.model.has_loaded, timeout=10_000)
    return tab.view


def test_sign_in_opens_the_case_list(qtbot: QtBot, window: MainWindow) -> None:
    sign_in(qtbot, window, "r1")
    assert window.current_page() is window.cases_page
    assert [c.id for c in window.cases_page.model.rows()] == ["C-1"]
    assert window.top_bar.user_label.text() == "Rita Requester · Requester"
    assert not window.read_only_banner.isVisible()


def test_wrong_password_is_said_in_the_dialog_and_nothing_is_lost(qtbot: QtBot, window: MainWindow) -> None:
    dialog = window.ask_sign_in()
    dialog.email_edit.setText(world.email("r1"))
    dialog.password_edit.setText("wrong-password")
    qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert "email or password" in dialog.error.text()
    assert dialog.email_edit.text() == world.email("r1")
    assert dialog.isVisible()
    assert window.user is None


def test_case_tab_enables_only_what_the_rules_allow(qtbot: QtBot, window: MainWindow, api: Api) -> None:
    created = api.create("r1", purpose="Discuss the scan")
    sign_in(qtbot, window, "p1")
    view = open_case(qtbot, window, "C-1")
    tab = window.case_view.appointments  # type: ignore[union-attr]
    assert tab.model.position_of(created["id"]) is not None
    tab.select(created["id"])
    enabled = {name for name, button in tab.buttons.items() if button.isEnabled()}
    # p1 is awaited: accept, reject and cancel; not edit (not the proposer), not complete, not reschedule.
    assert enabled == {
        "requestAppointmentButton",
        "acceptButton",
        "rejectButton",
        "cancelButton",
        "historyButton",
    }
    qtbot.mouseClick(tab.buttons["acceptButton"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: tab.selected() is not None and tab.selected().status.value == "accepted", timeout=10_000
    )
    assert api.get("r1", created["id"])["status"] == "accepted"
    enabled = {name for name, button in tab.buttons.items() if button.isEnabled()}
    assert enabled == {"requestAppointmentButton", "rescheduleButton", "cancelButton", "historyButton"}
    assert view.model().data(view.model().index(tab.model.position_of(created["id"]), 2)) == "Accepted"


def test_admin_sees_all_cases_and_no_write_control_exists(qtbot: QtBot, window: MainWindow, api: Api) -> None:
    api.create("r1")
    api.create("p2", case_id="C-2")
    sign_in(qtbot, window, "admin")
    assert [c.id for c in window.cases_page.model.rows()] == ["C-1", "C-2"]
    assert window.read_only_banner.isVisible()
    assert "Read-only oversight" in window.read_only_banner.text
    open_case(qtbot, window, "C-2")
    for name in WRITE_CONTROLS:
        assert window.findChild(QPushButton, name) is None, f"{name} must be absent for an admin"
    assert window.findChild(QPushButton, "historyButton") is not None


def test_a_race_is_explained_in_plain_words(qtbot: QtBot, window: MainWindow, api: Api) -> None:
    created = api.create("r1")
    sign_in(qtbot, window, "p1")
    open_case(qtbot, window, "C-1")
    tab = window.case_view.appointments  # type: ignore[union-attr]
    tab.select(created["id"])
    assert api.act("r1", created["id"], "cancel").status_code == 200  # someone else acts first
    qtbot.mouseClick(tab.buttons["acceptButton"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.error_banner.isVisible(), timeout=10_000)
    assert "changed" in window.error_banner.text.lower() or "someone else" in window.error_banner.text.lower()
    qtbot.waitUntil(
        lambda: tab.selected() is not None and tab.selected().status.value == "canceled", timeout=10_000
    )
    assert not tab.buttons["acceptButton"].isEnabled()


def test_server_stopped_shows_a_banner_and_keeps_the_data(
    qtbot: QtBot, window: MainWindow, api: Api, server: ServerThread
) -> None:
    api.create("r1")
    sign_in(qtbot, window, "r1")
    view = open_case(qtbot, window, "C-1")
    rows_before = view.model().rowCount()
    server.stop()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(view, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.error_banner.isVisible(), timeout=15_000)
    assert (
        "cannot be reached" in window.error_banner.text.lower()
        or "server" in window.error_banner.text.lower()
    )
    assert "may not be current" in window.error_banner.text
    assert view.model().rowCount() == rows_before == 1


def test_without_a_keyring_the_session_works_and_says_it_will_not_be_remembered(
    qtbot: QtBot, window: MainWindow
) -> None:
    use_keyring(NoKeyring())
    sign_in(qtbot, window, "r1", remember=True)
    assert window.cases_page.model.rowCount() == 1
    qtbot.waitUntil(lambda: window.note_banner.isVisible(), timeout=5_000)
    assert window.note_banner.text == NO_KEYRING_NOTE


def test_sign_out_clears_everything(qtbot: QtBot, window: MainWindow, memory_keyring: Any) -> None:
    sign_in(qtbot, window, "r1", remember=True)
    assert memory_keyring.secrets
    qtbot.mouseClick(window.top_bar.sign_out_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.user is None, timeout=10_000)
    assert memory_keyring.secrets == {}
    assert window.cases_page.model.rowCount() == 0
    assert isinstance(window.login_dialog, LoginDialog)
    assert window.login_dialog.isVisible()


def test_idle_lock_hides_data_until_the_password(qtbot: QtBot, window: MainWindow) -> None:
    sign_in(qtbot, window, "r1")
    window.idle.minutes = 0
    window.idle.check()
    assert window.locked
    assert not window.cases_page.isVisible()
    window.lock_page.password.setText(world.PASSWORD)
    qtbot.mouseClick(window.lock_page.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.locked, timeout=10_000)
    assert window.current_page() is window.cases_page
