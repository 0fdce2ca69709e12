"""The notifications list: the model on its own (no widgets), then the panel driven by mouse and keyboard."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot

from apptdesk.api import Notification
from apptdesk.models.notifications import NotificationsModel, short_when
from apptdesk.models.rows import ObjectRole
from apptdesk.models.unread import UnreadCounter
from apptdesk.views.notifications_panel import EMPTY_TEXT, NotificationsPanel
from tests.support import factories as f

BERLIN = ZoneInfo("Europe/Berlin")
NOW = f.BASE + timedelta(hours=2)  # 14:00 UTC, 16:00 in Berlin, on Monday 1 June 2026


def at(hours: float) -> datetime:
    return f.BASE + timedelta(hours=hours)


def three() -> list[Notification]:
    """Out of order on purpose: the model sorts newest first."""
    return [
        f.notification(1, created_at=at(-30), read=True, title="Appointment accepted · C-1"),
        f.notification(3, created_at=at(1), appointment_id=7, case_id="C-2", title="New request · C-2"),
        f.notification(2, created_at=at(-1), title="Appointment rescheduled · C-1"),
    ]


def model_with(rows: list[Notification] | None = None) -> NotificationsModel:
    model = NotificationsModel(zone=BERLIN, now=lambda: NOW)
    model.set_notifications(three() if rows is None else rows)
    return model


def ids(model: NotificationsModel) -> list[int]:
    return [n.id for n in model.rows()]


def cell(model: NotificationsModel, row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    return model.data(model.index(row, column), role)


# --- the model -----------------------------------------------------------------------------------------


def test_columns_follow_the_constants() -> None:
    model = model_with()
    m = NotificationsModel
    assert model.columnCount() == 3
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)]
    assert titles[m.COL_TITLE] == "Title"
    assert titles[m.COL_BODY] == "Details"
    assert titles[m.COL_TIME] == "Time"


def test_newest_first_with_texts_and_objects() -> None:
    model = model_with()
    m = NotificationsModel
    assert ids(model) == [3, 2, 1]
    assert cell(model, 0, m.COL_TITLE) == "New request · C-2"
    assert cell(model, 0, m.COL_BODY) == "Rita Requester · Mon 01 Jun 2026, 12:00"
    assert cell(model, 0, m.COL_TIME) == "15:00"  # today, Berlin
    assert cell(model, 1, m.COL_TIME) == "13:00"
    assert cell(model, 2, m.COL_TIME) == "Yesterday 08:00"
    assert cell(model, 0, m.COL_TIME, Qt.ItemDataRole.ToolTipRole) == "Mon 01 Jun 2026, 15:00"
    notification = cell(model, 0, m.COL_BODY, ObjectRole)
    assert isinstance(notification, Notification)
    assert (notification.appointment_id, notification.case_id) == (7, "C-2")
    assert model.notification(2).id == 1


def test_same_time_orders_by_id() -> None:
    model = model_with([f.notification(5, created_at=at(0)), f.notification(9, created_at=at(0))])
    assert ids(model) == [9, 5]


def test_short_times() -> None:
    assert short_when(at(1), BERLIN, NOW) == "15:00"
    assert short_when(at(-13), BERLIN, NOW) == "01:00"  # 23:00 UTC is already today in Berlin
    assert short_when(at(-20), BERLIN, NOW) == "Yesterday 18:00"
    assert short_when(at(-24 * 40), BERLIN, NOW) == "Wed 22 Apr, 14:00"
    assert short_when(at(-24 * 400), BERLIN, NOW) == "27 Apr 2025, 14:00"


def test_unread_rows_are_bold_and_spoken_as_unread() -> None:
    model = model_with()
    for column in range(3):
        font = cell(model, 0, column, Qt.ItemDataRole.FontRole)
        assert isinstance(font, QFont)
        assert font.bold()
    assert cell(model, 2, 0, Qt.ItemDataRole.FontRole) is None  # read
    assert model.unread_count == 2
    spoken = cell(model, 0, 0, Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.startswith("Unread: New request · C-2.")
    assert cell(model, 2, 0, Qt.ItemDataRole.AccessibleTextRole).startswith("Read: ")


def test_mark_read_changes_only_those_rows(qtbot: QtBot) -> None:
    model = model_with()
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda top, bottom, *_: changed.append((top.row(), bottom.row())))
    assert model.mark_read([2, 1, 99]) == [2]  # 1 was read already, 99 is not shown
    assert changed == [(1, 1)]
    assert model.notification(1).read
    assert cell(model, 1, 0, Qt.ItemDataRole.FontRole) is None
    assert model.unread_count == 1
    assert ids(model) == [3, 2, 1]


def test_mark_all_read_is_one_change() -> None:
    model = model_with()
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda top, bottom, *_: changed.append((top.row(), bottom.row())))
    assert sorted(model.mark_all_read()) == [2, 3]
    assert changed == [(0, 2)]
    assert model.unread_count == 0
    assert model.mark_all_read() == []
    assert changed == [(0, 2)]


def test_add_puts_a_new_notification_in_its_place() -> None:
    model = model_with()
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    assert model.add(f.notification(10, created_at=at(2))) == 0
    assert model.add(f.notification(11, created_at=at(-2))) == 3
    assert ids(model) == [10, 3, 2, 11, 1]
    assert inserted == [(0, 0), (3, 3)]
    assert model.position_of(11) == 3
    assert model.position_of(1) == 4
    # The same one again (now read): updated in place, not added twice.
    assert model.add(f.notification(10, created_at=at(2), read=True)) == 0
    assert ids(model) == [10, 3, 2, 11, 1]
    assert model.notification(0).read
    # One whose time changed moves to its new place.
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _parent, first, last: removed.append((first, last)))
    assert model.add(f.notification(11, created_at=at(5))) == 0
    assert ids(model) == [11, 10, 3, 2, 1]
    assert removed == [(3, 3)]
    assert resets == []


def test_empty_model() -> None:
    model = model_with([])
    assert model.rowCount() == 0
    assert model.unread_count == 0
    assert model.data(QModelIndex()) is None


# --- the panel -----------------------------------------------------------------------------------------


@pytest.fixture
def panel(qtbot: QtBot) -> NotificationsPanel:
    widget = NotificationsPanel(BERLIN, now=lambda: NOW)
    qtbot.addWidget(widget)
    widget.resize(420, 420)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def click_row(qtbot: QtBot, panel: NotificationsPanel, row: int) -> None:
    index = panel.model.index(row, NotificationsModel.COL_TITLE)
    rect = panel.view.visualRect(index)
    assert rect.isValid()
    assert not rect.isEmpty()
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


@pytest.mark.gui
def test_names_and_empty_state(panel: NotificationsPanel) -> None:
    assert panel.objectName() == "notificationsPanel"
    button = panel.findChild(QPushButton, "markAllReadButton")
    assert button is panel.mark_all_button
    assert button.accessibleName() == "Mark all notifications read"
    assert panel.view.objectName() == "notificationsList"
    assert panel.view.accessibleName() == "Notifications"
    placeholder = panel.findChild(QLabel, "notificationsPlaceholder")
    assert placeholder is not None
    assert placeholder.isVisible()
    assert placeholder.text() == EMPTY_TEXT == "No notifications."
    assert not panel.view.isVisible()
    assert not button.isEnabled()
    panel.set_notifications(three())
    assert panel.view.isVisible()
    assert not placeholder.isVisible()
    assert button.isEnabled()
    panel.set_notifications([])
    assert placeholder.isVisible()


@pytest.mark.gui
def test_clicking_a_row_opens_that_notification(panel: NotificationsPanel, qtbot: QtBot) -> None:
    panel.set_notifications(three())
    with qtbot.waitSignal(panel.opened, timeout=1000) as blocker:
        click_row(qtbot, panel, 1)
    opened = blocker.args[0]
    assert isinstance(opened, Notification)
    assert opened.id == 2
    with qtbot.waitSignal(panel.opened, timeout=1000) as blocker:
        click_row(qtbot, panel, 0)
    assert (blocker.args[0].appointment_id, blocker.args[0].case_id) == (7, "C-2")
    # The panel does no I/O and leaves marking to its caller.
    assert not panel.model.notification(0).read


@pytest.mark.gui
def test_enter_opens_the_current_notification(panel: NotificationsPanel, qtbot: QtBot) -> None:
    panel.set_notifications(three())
    panel.setFocus()
    assert panel.view.hasFocus()  # the panel hands focus to its list
    panel.view.setCurrentIndex(panel.model.index(0, 0))
    qtbot.keyClick(panel.view, Qt.Key.Key_Down)
    with qtbot.waitSignal(panel.opened, timeout=1000) as blocker:
        qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    assert blocker.args[0].id == 2
    with qtbot.assertNotEmitted(panel.opened):
        panel.set_notifications([])
        qtbot.keyClick(panel.view, Qt.Key.Key_Return)


@pytest.mark.gui
def test_mark_all_read_button(panel: NotificationsPanel, qtbot: QtBot) -> None:
    panel.set_notifications(three())
    with qtbot.waitSignal(panel.markAllRead, timeout=1000):
        qtbot.mouseClick(panel.mark_all_button, Qt.MouseButton.LeftButton)
    assert panel.unread_count == 2  # unchanged until the caller says the server agreed
    assert sorted(panel.mark_all_read_locally()) == [2, 3]
    assert panel.unread_count == 0
    assert not panel.mark_all_button.isEnabled()


@pytest.mark.gui
def test_mark_all_read_stays_enabled_while_the_server_counts_unread(qtbot: QtBot) -> None:
    counter = UnreadCounter()
    panel = NotificationsPanel(BERLIN, counter=counter, now=lambda: NOW)
    qtbot.addWidget(panel)
    panel.set_notifications([f.notification(1, read=True)])
    assert not panel.mark_all_button.isEnabled()
    counter.set_count(4)  # unread ones older than the page shown
    assert panel.mark_all_button.isEnabled()


@pytest.mark.gui
def test_local_updates(panel: NotificationsPanel) -> None:
    panel.set_notifications(three())
    panel.view.setCurrentIndex(panel.model.index(1, 0))
    assert panel.mark_read_locally([2]) == [2]
    assert panel.unread_count == 1
    panel.add_notification(f.notification(20, created_at=at(3)))
    assert [n.id for n in panel.notifications()] == [20, 3, 2, 1]
    current = panel.current()
    assert current is not None
    assert current.id == 2
    panel.set_notifications(three())
    current = panel.current()
    assert current is not None
    assert current.id == 2
    panel.show_placeholder("Loading…")
    assert panel.placeholder.isVisible()
    assert panel.placeholder.text() == "Loading…"


@pytest.mark.gui
def test_keyboard_reaches_button_and_list_and_escape_asks_to_close(
    panel: NotificationsPanel, qtbot: QtBot
) -> None:
    panel.set_notifications(three())
    assert panel.view.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert panel.mark_all_button.focusPolicy() & Qt.FocusPolicy.TabFocus
    panel.activateWindow()
    panel.view.setFocus()
    qtbot.waitUntil(panel.view.hasFocus, timeout=1000)
    qtbot.keyClick(panel.view, Qt.Key.Key_Tab)
    qtbot.waitUntil(panel.mark_all_button.hasFocus, timeout=1000)
    qtbot.keyClick(panel.mark_all_button, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(panel.view.hasFocus, timeout=1000)
    with qtbot.waitSignal(panel.closeRequested, timeout=1000):
        qtbot.keyClick(panel.view, Qt.Key.Key_Escape)


@pytest.mark.gui
def test_the_panel_can_show_a_shared_model(qtbot: QtBot) -> None:
    model = model_with()
    panel = NotificationsPanel(model=model)
    qtbot.addWidget(panel)
    assert panel.model is model
    assert panel.view.model() is model
    assert panel.mark_all_button.isEnabled()
    model.mark_all_read()  # e.g. by the inbox, on a live "read" event
    assert not panel.mark_all_button.isEnabled()
    model.set_notifications([])
    assert panel.placeholder.text() == EMPTY_TEXT
    assert not panel.placeholder.isHidden()
