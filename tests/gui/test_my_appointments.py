"""The My Appointments page against a real server: filters, lazy loading, live rows, failures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDateEdit, QLabel, QLineEdit, QPushButton, QTableView, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from apptdesk.api import Appointment, ServerUnavailable
from apptdesk.api.types import parse_notification
from apptdesk.domain import AppointmentStatus
from apptdesk.models.appointments import MyAppointmentsModel
from apptdesk.models.inbox import Inbox
from apptdesk.models.session import AppSession
from apptdesk.models.unread import UnreadCounter
from apptdesk.server.embedded import ServerThread
from apptdesk.views.my_appointments import NO_APPOINTMENTS, NO_MATCHES, MyAppointmentsPage
from apptdesk.views.tasks import ErrorSink
from tests.support.api import Api
from tests.support.qt import wait_for

BERLIN = ZoneInfo("Europe/Berlin")
M = MyAppointmentsModel


class Errors:
    def __init__(self, sink: ErrorSink) -> None:
        self.messages: list[str] = []
        sink.raised.connect(lambda message, _exc: self.messages.append(message))


@pytest.fixture
def open_page(qtbot: QtBot, session_for: Any) -> Iterator[Callable[..., tuple[MyAppointmentsPage, Errors]]]:
    """``open_page("r1")``: the page for that person, first page loaded, shown at a usual size.

    At the end, a filter change still waiting for its reload is let through before the session closes.
    """
    pages: list[MyAppointmentsPage] = []

    def make(who: str, show: bool = True, inbox: Inbox | None = None) -> tuple[MyAppointmentsPage, Errors]:
        session: AppSession = session_for(who)
        sink = ErrorSink()
        errors = Errors(sink)
        page = MyAppointmentsPage(session, sink, zone=BERLIN, inbox=inbox)
        page._test_sink = sink  # type: ignore[attr-defined]  # keep the sink alive with the page
        page.resize(960, 600)
        wait_for(qtbot, page.refresh())
        if show:
            page.show()
            qtbot.waitExposed(page)
        pages.append(page)
        return page, errors

    yield make
    for page in pages:

        def idle(page: MyAppointmentsPage = page) -> bool:
            return not page._debounce.isActive() and not page._tasks

        qtbot.waitUntil(idle)
        page.close()
        page.deleteLater()


def ids(page: MyAppointmentsPage) -> list[int]:
    return [a.id for a in page.model.rows()]


def cell(page: MyAppointmentsPage, row: int, column: int) -> str:
    value = page.model.data(page.model.index(row, column))
    assert isinstance(value, str)
    return value


def child(page: MyAppointmentsPage, kind: type[Any], name: str) -> Any:
    widget = page.findChild(kind, name)
    assert widget is not None, name
    return widget


def settle(qtbot: QtBot, page: MyAppointmentsPage, expected: Callable[[], bool]) -> None:
    """Wait until the debounced reload has happened and shows what the test expects."""
    qtbot.waitUntil(lambda: expected() and not page.model.loading and not page._debounce.isActive())


def state_text(page: MyAppointmentsPage) -> str:
    label = child(page, QLabel, "myAppointmentsStateText")
    return str(label.text()) if label.isVisible() else ""


def noon(api: Api, days: int) -> str:
    """12:00 UTC that many days ahead of the server's clock: the same day in Berlin."""
    moment = (api.clock() + timedelta(days=days)).replace(hour=12, minute=0, second=0, microsecond=0)
    return moment.isoformat()


def berlin_day(appointment: dict[str, Any]) -> date:
    return datetime.fromisoformat(appointment["start"]).astimezone(BERLIN).date()


# --- listing ---------------------------------------------------------------------------------------


def test_unread_appointments_are_bold_until_read(qtbot: QtBot, open_page: Any, api: Api) -> None:
    mine = api.create("r1", start=noon(api, 2))
    theirs = api.create("p1", start=noon(api, 1))  # Rita is notified of this one
    inbox = Inbox(UnreadCounter())
    page, _errors = open_page("r1", inbox=inbox)
    notifications = api.client("r1").get("/notifications").json()["items"]
    inbox.load([parse_notification(n) for n in notifications], len(notifications))
    assert [n["appointment_id"] for n in notifications] == [theirs["id"]]

    def bold(row: int) -> bool:
        font = page.model.data(page.model.index(row, 0), Qt.ItemDataRole.FontRole)
        return font is not None and font.bold()

    assert ids(page) == [theirs["id"], mine["id"]]
    assert bold(0)
    assert not bold(1)
    inbox.mark_read([notifications[0]["id"]])
    assert not bold(0)
    assert inbox.counter.count == 0


def test_lists_the_users_appointments_with_five_columns(open_page: Any, api: Api) -> None:
    mine = api.create("r1", start=noon(api, 2), purpose="Review")
    theirs = api.create("p1", start=noon(api, 1))
    page, errors = open_page("r1")
    assert child(page, QLabel, "myAppointmentsHeading").text() == "My Appointments"
    view = child(page, QTableView, "myAppointmentsView")
    assert view.model() is page.model
    assert [page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)] == [
        "Case ID",
        "Participant Name",
        "Date & Time",
        "Status",
        "Type",
    ]
    assert ids(page) == [theirs["id"], mine["id"]]  # the server's order: by date
    assert cell(page, 0, M.COL_CASE) == "C-1"
    assert cell(page, 0, M.COL_PARTICIPANT) == "Paul Provider"
    assert cell(page, 0, M.COL_STATUS) == "Pending — your answer"
    assert cell(page, 0, M.COL_TYPE) == "Provider"
    assert cell(page, 1, M.COL_STATUS) == "Pending — awaiting Paul Provider"
    assert cell(page, 1, M.COL_TYPE) == "Requester"
    when = datetime.fromisoformat(theirs["start"]).astimezone(BERLIN)
    assert cell(page, 0, M.COL_WHEN) == when.strftime("%a %d %b %Y, %H:%M")
    assert child(page, QLabel, "myAppointmentsFooter").text() == "2 appointments"
    assert view.isVisible()
    assert not view.verticalHeader().isVisible()
    assert not view.isSortingEnabled()
    assert view.selectionBehavior() is QTableView.SelectionBehavior.SelectRows
    assert view.selectionMode() is QTableView.SelectionMode.SingleSelection
    assert errors.messages == []


def test_a_new_user_is_told_how_to_get_appointments(open_page: Any) -> None:
    page, _ = open_page("r1")
    assert page.model.rowCount() == 0
    assert state_text(page) == NO_APPOINTMENTS
    assert not child(page, QPushButton, "myAppointmentsStateButton").isVisible()
    assert not child(page, QTableView, "myAppointmentsView").isVisible()


def test_an_outsider_sees_none_of_another_case(open_page: Any, api: Api) -> None:
    api.create("r1")
    api.create("p1", start=api.future(days=2))
    page, _ = open_page("r2")
    assert page.model.rowCount() == 0
    assert state_text(page) == NO_APPOINTMENTS


def test_an_admin_sees_every_case_with_both_names(qtbot: QtBot, open_page: Any, api: Api) -> None:
    one = api.create("r1", start=noon(api, 1))
    two = api.create("r2", case_id="C-2", start=noon(api, 2))
    page, _ = open_page("admin")
    assert child(page, QLabel, "myAppointmentsHeading").text() == "All Appointments"
    assert ids(page) == [one["id"], two["id"]]
    assert cell(page, 0, M.COL_PARTICIPANT) == "Rita Requester ↔ Paul Provider"
    assert cell(page, 1, M.COL_PARTICIPANT) == "Rob Outsider ↔ Pia Outsider"
    assert cell(page, 1, M.COL_CASE) == "C-2"
    assert cell(page, 1, M.COL_STATUS) == "Pending"  # nobody awaits the admin's answer
    assert page.model.data(page.model.index(0, 0), Qt.ItemDataRole.FontRole) is None


# --- filters ---------------------------------------------------------------------------------------


def test_two_statuses_at_once_show_only_those(qtbot: QtBot, open_page: Any, api: Api) -> None:
    pending = api.create("r1", start=noon(api, 1))
    accepted = api.create("r1", start=noon(api, 2))
    rejected = api.create("r1", start=noon(api, 3))
    canceled = api.create("r1", start=noon(api, 4))
    assert api.act("p1", accepted["id"], "accept").status_code == 200
    assert api.act("p1", rejected["id"], "reject", reason="Away").status_code == 200
    assert api.act("r1", canceled["id"], "cancel", reason="Not needed").status_code == 200
    page, _ = open_page("r1")
    assert len(ids(page)) == 4

    box = child(page, QWidget, "statusFilter")
    buttons = {b.text(): b for b in box.findChildren(QToolButton)}
    assert list(buttons) == ["Pending", "Accepted", "Rejected", "Canceled", "Completed"]
    for label, button in buttons.items():
        assert button.isCheckable()
        assert label in button.accessibleName()
    qtbot.mouseClick(buttons["Accepted"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(buttons["Rejected"], Qt.MouseButton.LeftButton)
    settle(qtbot, page, lambda: ids(page) == [accepted["id"], rejected["id"]])
    assert page.current_filters().statuses == {AppointmentStatus.ACCEPTED, AppointmentStatus.REJECTED}
    assert child(page, QLabel, "myAppointmentsFooter").text() == "2 appointments"

    qtbot.mouseClick(buttons["Completed"], Qt.MouseButton.LeftButton)
    settle(qtbot, page, lambda: len(ids(page)) == 2 and len(page.current_filters().statuses) == 3)
    for label in ("Accepted", "Rejected", "Completed"):
        qtbot.mouseClick(buttons[label], Qt.MouseButton.LeftButton)  # none checked: all of them
    settle(qtbot, page, lambda: ids(page) == [pending["id"], accepted["id"], rejected["id"], canceled["id"]])


def test_case_id_filter(qtbot: QtBot, open_page: Any, api: Api) -> None:
    one = api.create("r1", start=noon(api, 1))
    two = api.create("r2", case_id="C-2", start=noon(api, 2))
    page, _ = open_page("admin")
    case_id = child(page, QLineEdit, "caseIdFilter")
    assert case_id.placeholderText() == "Case ID"
    qtbot.keyClicks(case_id, " C-2 ")
    settle(qtbot, page, lambda: ids(page) == [two["id"]])
    case_id.setText("C-1")
    settle(qtbot, page, lambda: ids(page) == [one["id"]])
    case_id.setText("C-404")
    settle(qtbot, page, lambda: ids(page) == [])
    assert state_text(page) == NO_MATCHES
    button = child(page, QPushButton, "myAppointmentsStateButton")
    assert button.isVisible()
    assert button.text() == "Clear filters"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot, page, lambda: ids(page) == [one["id"], two["id"]])
    assert case_id.text() == ""


def test_date_range_filter(qtbot: QtBot, open_page: Any, api: Api) -> None:
    days = [api.create("r1", start=noon(api, n)) for n in (1, 3, 5)]
    page, _ = open_page("r1")
    date_from = child(page, QDateEdit, "dateFromFilter")
    date_to = child(page, QDateEdit, "dateToFilter")
    for edit in (date_from, date_to):
        assert edit.calendarPopup()
        assert edit.text() == "Any"
        assert edit.specialValueText() == "Any"
        assert edit.date() == edit.minimumDate()
    middle = berlin_day(days[1])

    def qdate(day: date) -> QDate:
        return QDate(day.year, day.month, day.day)

    date_from.setDate(qdate(middle))
    settle(qtbot, page, lambda: ids(page) == [days[1]["id"], days[2]["id"]])
    date_to.setDate(qdate(middle))  # both bounds are whole days: that one day
    settle(qtbot, page, lambda: ids(page) == [days[1]["id"]])
    date_from.setDate(date_from.minimumDate())  # "Any" again
    settle(qtbot, page, lambda: ids(page) == [days[0]["id"], days[1]["id"]])
    assert date_from.text() == "Any"

    # The small clear button beside a date, and Delete in the field, both mean "Any".
    clear_to = child(page, QToolButton, "dateToFilterClear")
    assert clear_to.isEnabled()
    qtbot.mouseClick(clear_to, Qt.MouseButton.LeftButton)
    assert date_to.text() == "Any"
    assert not clear_to.isEnabled()
    settle(qtbot, page, lambda: len(ids(page)) == 3)
    date_to.setDate(qdate(middle))
    date_to.setFocus()
    qtbot.keyClick(date_to, Qt.Key.Key_Delete)
    assert date_to.text() == "Any"


def test_a_date_field_steps_from_any_to_today(qtbot: QtBot, open_page: Any) -> None:
    page, _ = open_page("r1")
    date_from = child(page, QDateEdit, "dateFromFilter")
    date_from.setFocus()
    qtbot.keyClick(date_from, Qt.Key.Key_Up)
    assert date_from.date() == QDate.currentDate()


def test_the_calendar_opens_from_the_keyboard_at_today(qtbot: QtBot, open_page: Any) -> None:
    page, _ = open_page("r1")
    date_to = child(page, QDateEdit, "dateToFilter")
    calendar = date_to.calendarWidget()
    date_to.setFocus()
    qtbot.keyClick(date_to, Qt.Key.Key_F4)
    qtbot.waitUntil(calendar.isVisible)
    assert calendar.selectedDate() == QDate.currentDate()  # not January 2000
    assert date_to.text() == "Any"  # only shown, not chosen
    qtbot.keyClick(calendar.focusWidget() or calendar, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not calendar.isVisible())
    assert date_to.text() == "Any"
    qtbot.keyClick(date_to, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(calendar.isVisible)
    qtbot.keyClick(calendar.focusWidget() or calendar, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not calendar.isVisible())
    assert date_to.date() == QDate.currentDate()


def test_free_text_is_debounced_and_searched_by_the_server(
    qtbot: QtBot, open_page: Any, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    biopsy = api.create("r1", start=noon(api, 1), purpose="Biopsy review")
    follow_up = api.create("r1", start=noon(api, 2), purpose="Follow-up")
    page, _ = open_page("r1")
    session = page._session
    calls: list[dict[str, Any]] = []
    original = session.appointments

    async def counting(cursor: str | None, **filters: Any) -> Any:
        calls.append(filters)
        return await original(cursor, **filters)

    monkeypatch.setattr(session, "appointments", counting)
    search = child(page, QLineEdit, "searchFilter")
    assert search.placeholderText() == "Search names, case, purpose"
    qtbot.keyClicks(search, "biopsy")
    settle(qtbot, page, lambda: ids(page) == [biopsy["id"]])
    assert len(calls) == 1, calls  # one request for the whole word, not one per letter
    assert calls[0]["text"] == "biopsy"
    search.setText("paul provider")  # the other party's name
    settle(qtbot, page, lambda: ids(page) == [biopsy["id"], follow_up["id"]])
    search.setText("nothing like this")
    settle(qtbot, page, lambda: ids(page) == [])
    assert state_text(page) == NO_MATCHES


def test_clear_filters_resets_every_control_with_one_reload(
    qtbot: QtBot, open_page: Any, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = [api.create("r1", start=noon(api, n), purpose=f"Visit {n}") for n in (1, 2)]
    page, _ = open_page("r1")
    clear = child(page, QPushButton, "clearFiltersButton")
    assert not clear.isEnabled()
    child(page, QLineEdit, "searchFilter").setText("Visit 2")
    child(page, QLineEdit, "caseIdFilter").setText("C-1")
    child(page, QDateEdit, "dateFromFilter").setDate(QDate.currentDate())
    child(page, QToolButton, "statusFilter_pending").setChecked(True)
    settle(qtbot, page, lambda: ids(page) == [created[1]["id"]])
    assert clear.isEnabled()

    calls: list[str | None] = []
    original = page._session.appointments

    async def counting(cursor: str | None, **filters: Any) -> Any:
        calls.append(cursor)
        return await original(cursor, **filters)

    monkeypatch.setattr(page._session, "appointments", counting)
    qtbot.mouseClick(clear, Qt.MouseButton.LeftButton)
    settle(qtbot, page, lambda: ids(page) == [a["id"] for a in created])
    assert calls == [None]
    assert page.current_filters().is_empty
    assert child(page, QDateEdit, "dateFromFilter").text() == "Any"
    assert not child(page, QToolButton, "statusFilter_pending").isChecked()
    assert not clear.isEnabled()


# --- lazy loading ----------------------------------------------------------------------------------


def test_lazy_loading_as_the_user_scrolls(
    qtbot: QtBot, open_page: Any, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = api.clock().replace(microsecond=0) + timedelta(days=1)
    for i in range(450):
        api.create("r1", start=(base + timedelta(minutes=30 * i)).isoformat())
    page, errors = open_page("r1")
    assert page.model.rowCount() == 200
    footer = child(page, QLabel, "myAppointmentsFooter")
    assert footer.text() == "Showing 200 of many — scroll for more"
    inserted: list[tuple[int, int]] = []
    page.model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    resets: list[int] = []
    page.model.modelReset.connect(lambda: resets.append(1))

    view = child(page, QTableView, "myAppointmentsView")
    view.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.rowCount() == 400 and not page.model.loading)
    assert inserted == [(200, 399)]

    # A page that fails while scrolling is reported; the rows stay, and scrolling again retries.
    session = page._session
    original = session.appointments

    async def unreachable(cursor: str | None, **filters: Any) -> Any:
        raise ServerUnavailable(None, "Unreachable", "ConnectError")

    monkeypatch.setattr(session, "appointments", unreachable)
    with qtbot.waitSignal(page.model.loadFailed):
        view.scrollToBottom()
    assert len(errors.messages) == 1
    assert "server cannot be reached" in errors.messages[0]
    assert page.model.rowCount() == 400
    assert footer.text() == "Showing 400 of many — scroll for more"
    monkeypatch.setattr(session, "appointments", original)
    view.scrollToTop()
    errors.messages.clear()

    view.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.rowCount() == 450 and not page.model.loading)
    assert inserted == [(200, 399), (400, 449)]
    assert resets == []
    assert footer.text() == "450 appointments"
    starts = [a.start for a in page.model.rows()]
    assert starts == sorted(starts)
    assert len(set(ids(page))) == 450
    assert errors.messages == []


# --- opening and live updates ----------------------------------------------------------------------


def test_double_click_and_enter_open_the_case(qtbot: QtBot, open_page: Any, api: Api) -> None:
    first = api.create("r1", start=noon(api, 1))
    second = api.create("r1", start=noon(api, 2))
    page, _ = open_page("r1")
    view = child(page, QTableView, "myAppointmentsView")
    rect = view.visualRect(page.model.index(1, M.COL_PARTICIPANT))
    with qtbot.waitSignal(page.openCase) as opened:
        # Qt 6's test double-click is a lone DblClick event: press first, as a real mouse does.
        qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args == ["C-1", second["id"]]

    view.setFocus()
    view.selectRow(0)
    with qtbot.waitSignal(page.openCase) as opened:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert opened.args == ["C-1", first["id"]]
    current = page.current_appointment()
    assert current is not None
    assert current.id == first["id"]


def test_a_change_updates_its_row_in_place(qtbot: QtBot, open_page: Any, api: Api) -> None:
    created = api.create("p1", start=noon(api, 1))
    api.create("r1", start=noon(api, 2))
    page, _ = open_page("r1")
    session: AppSession = page._session
    assert cell(page, 0, M.COL_STATUS) == "Pending — your answer"
    changed: list[tuple[int, int, int, int]] = []
    page.model.dataChanged.connect(
        lambda top, bottom, _roles=(): changed.append(
            (top.row(), top.column(), bottom.row(), bottom.column())
        )
    )
    resets: list[int] = []
    page.model.modelReset.connect(lambda: resets.append(1))
    appointment: Appointment = page.model.row_object(0)
    wait_for(qtbot, session.accept(appointment))
    assert cell(page, 0, M.COL_STATUS) == "Accepted"
    assert changed == [(0, 0, 0, 4)]
    assert resets == []
    assert ids(page)[0] == created["id"]

    # A new appointment the filters on screen would list appears at its place: one insert, no reload.
    inserted: list[tuple[int, int]] = []
    page.model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    new = wait_for(qtbot, session.request("C-1", datetime.now(UTC) + timedelta(days=3), 30, "New", None))
    assert ids(page)[-1] == new.id
    assert inserted == [(2, 2)]
    assert resets == []

    # One the filters would not list stays out until the filters change.
    page.set_statuses({AppointmentStatus.ACCEPTED})
    qtbot.waitUntil(lambda: ids(page) == [created["id"]], timeout=10_000)
    wait_for(qtbot, session.request("C-1", datetime.now(UTC) + timedelta(days=4), 30, "Other", None))
    assert ids(page) == [created["id"]]


def test_refresh_keeps_the_selection(qtbot: QtBot, open_page: Any, api: Api) -> None:
    created = [api.create("r1", start=noon(api, n)) for n in (2, 3)]
    page, _ = open_page("r1")
    view = child(page, QTableView, "myAppointmentsView")
    view.selectRow(1)
    api.create("r1", start=noon(api, 1))  # sorts first: the selected row moves down
    wait_for(qtbot, page.refresh())
    assert page.model.rowCount() == 3
    selected = page.current_appointment()
    assert selected is not None
    assert selected.id == created[1]["id"]


# --- failures --------------------------------------------------------------------------------------


def test_a_stopped_server_is_reported_and_the_rows_stay(
    qtbot: QtBot, open_page: Any, api: Api, server: ServerThread
) -> None:
    created = [api.create("r1", start=noon(api, n)) for n in (1, 2)]
    page, errors = open_page("r1")
    assert len(ids(page)) == 2
    server.stop()
    wait_for(qtbot, page.refresh())
    assert len(errors.messages) == 1
    assert "server cannot be reached" in errors.messages[0]
    assert ids(page) == [a["id"] for a in created]
    assert child(page, QTableView, "myAppointmentsView").isVisible()
    assert "could not" in child(page, QLabel, "myAppointmentsFooter").text().lower()


def test_a_first_load_that_fails_offers_to_try_again(
    qtbot: QtBot, session_for: Any, server: ServerThread
) -> None:
    session: AppSession = session_for("r1")
    sink = ErrorSink()
    errors = Errors(sink)
    page = MyAppointmentsPage(session, sink, zone=BERLIN)
    qtbot.addWidget(page)
    server.stop()
    page.show()  # the first show starts the first load by itself
    qtbot.waitUntil(lambda: len(errors.messages) == 1)
    qtbot.waitUntil(lambda: state_text(page).startswith("The appointments could not be loaded."))
    assert "server cannot be reached" in state_text(page)
    assert child(page, QPushButton, "myAppointmentsStateButton").text() == "Try again"


# --- keyboard and names ----------------------------------------------------------------------------


def test_every_control_is_reachable_and_named(open_page: Any, api: Api) -> None:
    api.create("r1")
    page, _ = open_page("r1")
    names = ["searchFilter", "caseIdFilter", "dateFromFilter", "dateToFilter", "clearFiltersButton"]
    controls: list[QWidget] = [child(page, QWidget, name) for name in names]
    controls += child(page, QWidget, "statusFilter").findChildren(QToolButton)
    controls.append(child(page, QTableView, "myAppointmentsView"))
    for control in controls:
        assert control.accessibleName(), control.objectName()
        assert control.focusPolicy() & Qt.FocusPolicy.TabFocus, control.objectName()
    view = child(page, QTableView, "myAppointmentsView")
    assert not view.tabKeyNavigation()  # Tab leaves the table
    # The tab chain from the search box reaches the table.
    widget: QWidget = child(page, QLineEdit, "searchFilter")
    seen: list[str] = []
    for _ in range(40):
        following = widget.nextInFocusChain()
        assert following is not None
        widget = following
        if widget.isVisible() and widget.isEnabled() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            seen.append(widget.objectName())
        if widget is view:
            break
    assert "myAppointmentsView" in seen
    assert "dateFromFilter" in seen
    assert "statusFilter_completed" in seen
