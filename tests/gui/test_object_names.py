"""An outside script's view of the app: only the stable object names, the whole app as `make run` starts it.

It boots the real application (embedded server, demo data, in a scratch home), then signs in, opens
case C-1001 and requests an appointment using nothing but ``findChild`` by object name and standard
Qt widget calls — what an automation or accessibility tool can do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from PySide6.QtCore import QDateTime, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QDateTimeEdit,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from apptdesk.app import DesktopApp
from apptdesk.desktop.config import ClientConfig
from apptdesk.paths import Paths
from apptdesk.server.demo import DEMO_PASSWORD
from tests.support.qt import wait_for

W = TypeVar("W", bound=QWidget)
ANNA = "anna.weber@demo.apptdesk.org"


def named(kind: type[W], name: str) -> W | None:
    for top in QApplication.topLevelWidgets():
        if top.objectName() == name and isinstance(top, kind) and top.isVisible():
            return top
        found = top.findChild(kind, name)
        if found is not None and found.isVisible():
            return found
    return None


def wait_named(qtbot: QtBot, kind: type[W], name: str, timeout: int = 20_000) -> W:
    qtbot.waitUntil(lambda: named(kind, name) is not None, timeout=timeout)
    widget = named(kind, name)
    assert widget is not None
    return widget


def row_with_text(table: QTableView, text: str) -> QModelIndex:
    model = table.model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if model.data(index) == text:
            return index
    return QModelIndex()


@pytest.fixture
def desktop(
    qtbot: QtBot,
    loop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    memory_keyring: Any,
) -> Iterator[DesktopApp]:
    monkeypatch.setenv("APPTDESK_HOME", str(tmp_path / "home"))
    paths = Paths.default().ensure()
    app = DesktopApp(paths, ClientConfig(), paths.config / "client.json")
    qtbot.addWidget(app.window)
    app.window.show()
    starting = asyncio.ensure_future(app.start())
    yield app
    qtbot.waitUntil(starting.done, timeout=30_000)
    wait_for(qtbot, app.shutdown(), timeout=30_000)


def test_sign_in_open_c1001_and_request_by_object_names_only(qtbot: QtBot, desktop: DesktopApp) -> None:
    assert named(QWidget, "mainWindow") is not None  # the window is there at once, before the server

    login = wait_named(qtbot, QWidget, "loginDialog", timeout=60_000)
    login.findChild(QLineEdit, "emailEdit").setText(ANNA)  # type: ignore[union-attr]
    qtbot.keyClicks(login.findChild(QLineEdit, "passwordEdit"), DEMO_PASSWORD)
    qtbot.mouseClick(login.findChild(QPushButton, "loginButton"), Qt.MouseButton.LeftButton)

    cases = wait_named(qtbot, QTableView, "caseListView")
    qtbot.waitUntil(lambda: row_with_text(cases, "C-1001").isValid(), timeout=20_000)
    cases.setCurrentIndex(row_with_text(cases, "C-1001"))
    qtbot.keyClick(cases, Qt.Key.Key_Return)

    appointments = wait_named(qtbot, QTableView, "caseAppointmentsView")
    qtbot.waitUntil(lambda: appointments.model().rowCount() > 0, timeout=20_000)
    before = appointments.model().rowCount()
    qtbot.mouseClick(wait_named(qtbot, QPushButton, "requestAppointmentButton"), Qt.MouseButton.LeftButton)

    dialog = wait_named(qtbot, QWidget, "requestDialog")
    start = dialog.findChild(QDateTimeEdit, "startEdit")
    assert start is not None
    wanted = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    start.setDateTime(QDateTime.fromSecsSinceEpoch(int(wanted.timestamp())))  # any zone: Qt converts
    duration = dialog.findChild(QSpinBox, "durationSpin")
    assert isinstance(duration, QAbstractSpinBox)
    duration.setValue(45)
    qtbot.keyClicks(dialog.findChild(QPlainTextEdit, "purposeEdit"), "Scripted by object names")
    qtbot.mouseClick(dialog.findChild(QPushButton, "sendRequestButton"), Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: appointments.model().rowCount() == before + 1, timeout=20_000)
    url = desktop.session.server_url
    assert url is not None
    with httpx.Client(base_url=url + "/api/v1") as http:
        token = http.post("/auth/login", json={"email": ANNA, "password": DEMO_PASSWORD}).json()[
            "access_token"
        ]
        items = http.get(
            "/cases/C-1001/appointments", params={"limit": 500}, headers={"Authorization": f"Bearer {token}"}
        ).json()["items"]
    mine = [a for a in items if a["purpose"] == "Scripted by object names"]
    assert len(mine) == 1
    assert mine[0]["duration_minutes"] == 45
    assert mine[0]["status"] == "pending"
    assert datetime.fromisoformat(mine[0]["start"]) == wanted
