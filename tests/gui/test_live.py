"""Two signed-in desktop apps on one server: what one does shows up in the other at once.

Both are the real application (``DesktopApp``: window, inbox, live stream, tray), pointed at a real
server on loopback. The tray is simulated as available, as on a desktop that has one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from apptdesk.app import DesktopApp
from apptdesk.desktop.config import ClientConfig
from apptdesk.paths import Paths
from apptdesk.server.embedded import ServerThread
from tests.support import world
from tests.support.qt import wait_for

Make = Callable[[str], DesktopApp]


def tray_image(app: DesktopApp) -> QImage:
    assert app.tray.tray is not None
    return app.tray.tray.icon().pixmap(64, 64).toImage()


@pytest.fixture
def desktop_for(
    qtbot: QtBot,
    loop: asyncio.AbstractEventLoop,
    server: ServerThread,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: Any,
) -> Iterator[Make]:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    apps: list[DesktopApp] = []

    def make(who: str) -> DesktopApp:
        paths = Paths.under(tmp_path / who).ensure()
        app = DesktopApp(paths, ClientConfig(server_url=server.url), paths.config / "client.json")
        qtbot.addWidget(app.window)
        app.window.show()
        wait_for(qtbot, app.start())
        dialog = app.window.login_dialog
        assert dialog is not None
        dialog.email_edit.setText(world.email(who))
        dialog.password_edit.setText(world.PASSWORD)
        dialog.login_button.click()
        qtbot.waitUntil(lambda: app.window.is_ready, timeout=15_000)
        qtbot.waitUntil(
            lambda: app.window.live.status is not None and app.window.live.status.is_live, timeout=15_000
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.quitting = True
        wait_for(qtbot, app.shutdown(), timeout=20_000)
        app.tray.close()


def test_a_request_reaches_the_other_client_at_once(qtbot: QtBot, desktop_for: Make) -> None:
    requester, provider = desktop_for("r1"), desktop_for("p1")
    assert provider.tray.available
    provider.window.open_case("C-1")
    qtbot.waitUntil(
        lambda: (
            provider.window.case_view is not None and provider.window.case_view.appointments.model.has_loaded
        ),
        timeout=10_000,
    )
    tab = provider.window.case_view.appointments  # type: ignore[union-attr]
    resets: list[int] = []
    tab.model.modelReset.connect(lambda: resets.append(1))
    badge_before, rows_before, icon_before = provider.unread.count, tab.model.rowCount(), tray_image(provider)

    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    created = wait_for(qtbot, requester.session.request("C-1", start, 45, "Discuss the scan", None))

    qtbot.waitUntil(lambda: tab.model.position_of(created.id) is not None, timeout=5_000)
    qtbot.waitUntil(lambda: provider.unread.count == badge_before + 1, timeout=5_000)
    assert tab.model.rowCount() == rows_before + 1
    assert resets == []  # the row was inserted in place, not by reloading the table
    assert provider.window.top_bar.badge.text() == f"{badge_before + 1} unread"
    assert provider.window.side_menu._mine.text(0) == f"My Appointments ({badge_before + 1})"
    row = tab.model.position_of(created.id)
    font = tab.model.data(tab.model.index(row, 0), Qt.ItemDataRole.FontRole)  # unread rows are bold
    assert font is not None
    assert font.bold()
    assert tray_image(provider) != icon_before  # the tray icon carries the new count
    assert provider.tray.last_popup == (created.id, "C-1")
    assert requester.unread.count == 0  # the one who acted is not notified


def test_opening_the_notification_marks_it_read_everywhere(qtbot: QtBot, desktop_for: Make) -> None:
    provider_here, requester = desktop_for("p1"), desktop_for("r1")
    provider_there = desktop_for("p1")  # the same person signed in on a second computer
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    created = wait_for(qtbot, requester.session.request("C-1", start, 30, None, None))
    for app in (provider_here, provider_there):
        qtbot.waitUntil(lambda app=app: app.unread.count == 1, timeout=5_000)

    notification = provider_here.window.inbox.model.notification(0)
    assert notification.appointment_id == created.id
    provider_here.window.notifications_panel.opened.emit(notification)
    qtbot.waitUntil(
        lambda: (
            provider_here.window.case_view is not None
            and provider_here.window.case_view.appointments.selected() is not None
            and provider_here.window.case_view.appointments.selected().id == created.id
        ),
        timeout=10_000,
    )
    assert provider_here.unread.count == 0
    qtbot.waitUntil(lambda: provider_there.unread.count == 0, timeout=5_000)  # read there too, live
