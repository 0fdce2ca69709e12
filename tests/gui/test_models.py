"""The table models on their own: signals, roles and texts, with typed objects and no server."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QFont
from pytestqt.qtbot import QtBot

from apptdesk.api import Appointment, Page, ServerUnavailable
from apptdesk.domain import AppointmentStatus
from apptdesk.models.appointments import CaseAppointmentsModel, MyAppointmentsModel
from apptdesk.models.cases import CasesModel
from apptdesk.models.paged import PagedRowsModel
from apptdesk.models.rows import Column, ObjectRole, RowsModel
from tests.support import factories as f
from tests.support.qt import wait_for

BERLIN = ZoneInfo("Europe/Berlin")
DISPLAY = Qt.ItemDataRole.DisplayRole


class Recorder:
    """Counts a model's structural signals, with their arguments."""

    def __init__(self, model: Any) -> None:
        self.resets = 0
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.changed: list[tuple[int, int, int, int]] = []
        self.layouts = 0
        model.modelReset.connect(self._reset)
        model.rowsInserted.connect(lambda _parent, first, last: self.inserted.append((first, last)))
        model.rowsRemoved.connect(lambda _parent, first, last: self.removed.append((first, last)))
        model.dataChanged.connect(
            lambda top, bottom, _roles=(): self.changed.append(
                (top.row(), top.column(), bottom.row(), bottom.column())
            )
        )
        model.layoutChanged.connect(self._layout)

    def _reset(self) -> None:
        self.resets += 1

    def _layout(self) -> None:
        self.layouts += 1


def text(model: Any, row: int, column: int) -> str:
    value = model.data(model.index(row, column), DISPLAY)
    assert isinstance(value, str)
    return value


def my_model(user: Any = f.RITA, rows: list[Appointment] | None = None) -> MyAppointmentsModel:
    model = MyAppointmentsModel(user, zone=BERLIN)
    if rows is not None:
        model.set_rows(rows)
    return model


# --- columns and headers ---------------------------------------------------------------------------


def headers(model: Any) -> list[str]:
    return [model.headerData(c, Qt.Orientation.Horizontal, DISPLAY) for c in range(model.columnCount())]


def test_my_appointments_columns_follow_the_constants() -> None:
    model = my_model()
    m = MyAppointmentsModel
    assert model.columnCount() == 5
    titles = headers(model)
    assert titles[m.COL_CASE] == "Case ID"
    assert titles[m.COL_PARTICIPANT] == "Participant Name"
    assert titles[m.COL_WHEN] == "Date & Time"
    assert titles[m.COL_STATUS] == "Status"
    assert titles[m.COL_TYPE] == "Type"
    assert model.headerData(0, Qt.Orientation.Vertical, DISPLAY) is None


def test_case_appointments_columns_follow_the_constants() -> None:
    model = CaseAppointmentsModel(f.RITA, zone=BERLIN)
    m = CaseAppointmentsModel
    assert model.columnCount() == 6
    titles = headers(model)
    assert titles[m.COL_WHEN] == "Date & Time"
    assert titles[m.COL_DURATION] == "Duration"
    assert titles[m.COL_STATUS] == "Status"
    assert titles[m.COL_REQUESTED_BY] == "Requested by"
    assert titles[m.COL_AWAITING] == "Awaiting"
    assert titles[m.COL_PURPOSE] == "Purpose"


def test_cases_columns_follow_the_constants() -> None:
    model = CasesModel()
    m = CasesModel
    model.set_rows([f.case("C-1", pending=2), f.case("C-2", title="Case two", requester=f.ROB)])
    assert model.columnCount() == 5
    titles = headers(model)
    assert titles[m.COL_ID] == "Case ID"
    assert titles[m.COL_TITLE] == "Title"
    assert titles[m.COL_REQUESTER] == "Requester"
    assert titles[m.COL_PROVIDER] == "Provider"
    assert titles[m.COL_PENDING] == "Pending"
    assert text(model, 0, m.COL_PENDING) == "2"
    assert text(model, 1, m.COL_PENDING) == "—"
    assert text(model, 1, m.COL_REQUESTER) == "Rob Outsider"
    alignment = model.data(model.index(0, m.COL_PENDING), Qt.ItemDataRole.TextAlignmentRole)
    assert alignment & Qt.AlignmentFlag.AlignRight.value


def test_case_appointments_rows_read_for_the_viewer() -> None:
    model = CaseAppointmentsModel(f.PAUL, zone=BERLIN)
    m = CaseAppointmentsModel
    model.set_rows([f.appointment(1, duration_minutes=90, purpose="Biopsy review\nsecond line")])
    assert text(model, 0, m.COL_WHEN) == "Mon 01 Jun 2026, 14:00"
    assert text(model, 0, m.COL_DURATION) == "1 h 30 min"
    assert text(model, 0, m.COL_STATUS) == "Pending — your answer"
    assert text(model, 0, m.COL_REQUESTED_BY) == "Rita Requester (Requester)"
    assert text(model, 0, m.COL_AWAITING) == "Paul Provider"
    assert text(model, 0, m.COL_PURPOSE) == "Biopsy review"


# --- roles -----------------------------------------------------------------------------------------


def test_object_role_returns_the_appointment_also_through_a_proxy() -> None:
    rows = f.appointments(3)
    model = my_model(rows=rows)
    for column in range(model.columnCount()):
        assert model.data(model.index(1, column), ObjectRole) is rows[1]
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.sort(MyAppointmentsModel.COL_WHEN, Qt.SortOrder.DescendingOrder)
    first = proxy.data(proxy.index(0, MyAppointmentsModel.COL_CASE), ObjectRole)
    assert isinstance(first, Appointment)
    assert first == rows[2]
    assert model.data(QModelIndex(), ObjectRole) is None
    assert model.data(model.index(7, 0), ObjectRole) is None


def test_participant_is_the_other_party_and_both_for_an_admin() -> None:
    row = f.appointment(1)
    col = MyAppointmentsModel.COL_PARTICIPANT
    assert text(my_model(f.RITA, [row]), 0, col) == "Paul Provider"
    assert text(my_model(f.PAUL, [row]), 0, col) == "Rita Requester"
    assert text(my_model(f.ADA, [row]), 0, col) == "Rita Requester ↔ Paul Provider"


def test_type_says_who_requested() -> None:
    rows = [f.appointment(1, created_by=f.RITA), f.appointment(2, created_by=f.PAUL)]
    model = my_model(rows=rows)
    assert text(model, 0, MyAppointmentsModel.COL_TYPE) == "Requester"
    assert text(model, 1, MyAppointmentsModel.COL_TYPE) == "Provider"


def test_date_and_time_are_shown_in_the_given_zone() -> None:
    winter = f.appointment(1, start=f.BASE.replace(month=1, day=5))
    summer = f.appointment(2)  # 12:00 UTC on 1 June 2026
    model = my_model(rows=[winter, summer])
    assert text(model, 0, MyAppointmentsModel.COL_WHEN) == "Mon 05 Jan 2026, 13:00"
    assert text(model, 1, MyAppointmentsModel.COL_WHEN) == "Mon 01 Jun 2026, 14:00"
    tokyo = MyAppointmentsModel(f.RITA, zone=ZoneInfo("Asia/Tokyo"))
    tokyo.set_rows([summer])
    assert text(tokyo, 0, MyAppointmentsModel.COL_WHEN) == "Mon 01 Jun 2026, 21:00"


def test_status_says_whose_answer_is_awaited_and_the_reason() -> None:
    rows = [
        f.appointment(1, created_by=f.PAUL),
        f.appointment(2),
        f.appointment(3, status=AppointmentStatus.REJECTED, reason="Clash with surgery"),
    ]
    col = MyAppointmentsModel.COL_STATUS
    model = my_model(f.RITA, rows)
    assert text(model, 0, col) == "Pending — your answer"
    assert text(model, 1, col) == "Pending — awaiting Paul Provider"
    assert text(model, 2, col) == "Rejected"
    assert model.data(model.index(2, col), Qt.ItemDataRole.ToolTipRole) == "Reason: Clash with surgery"
    assert text(my_model(f.ADA, rows), 0, col) == "Pending"


def test_bold_rule_marks_the_rows_awaiting_the_user() -> None:
    rows = [f.appointment(1, created_by=f.PAUL), f.appointment(2)]
    model = my_model(rows=rows)
    recorder = Recorder(model)
    model.set_bold_rule(lambda a: a.is_awaiting(f.RITA))
    assert recorder.changed == [(0, 0, 1, 4)]
    font = model.data(model.index(0, 2), Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont)
    assert font.bold()
    assert model.data(model.index(1, 2), Qt.ItemDataRole.FontRole) is None


# --- bulk updates are single signals ---------------------------------------------------------------


def test_set_rows_is_one_reset() -> None:
    model = my_model()
    recorder = Recorder(model)
    model.set_rows(f.appointments(500))
    assert recorder.resets == 1
    assert recorder.inserted == []
    assert recorder.changed == []
    assert model.rowCount() == 500


def test_a_page_appended_is_one_ranged_insert() -> None:
    model = my_model(rows=f.appointments(200))
    recorder = Recorder(model)
    model.append_rows(f.appointments(200, first_id=201))
    assert recorder.inserted == [(200, 399)]
    assert recorder.resets == 0
    assert recorder.changed == []
    assert model.rowCount() == 400
    assert model.position_of(399) == 398
    model.append_rows([])
    assert recorder.inserted == [(200, 399)]


def test_update_row_is_one_change_across_the_row() -> None:
    rows = f.appointments(5)
    model = my_model(rows=rows)
    recorder = Recorder(model)
    accepted = replace(rows[3], status=AppointmentStatus.ACCEPTED, awaiting=None, version=2)
    assert model.update_row(accepted)
    assert recorder.changed == [(3, 0, 3, MyAppointmentsModel.COL_TYPE)]
    assert recorder.inserted == []
    assert recorder.resets == 0
    assert text(model, 3, MyAppointmentsModel.COL_STATUS) == "Accepted"
    assert model.data(model.index(3, 0), ObjectRole) is accepted

    stranger = f.appointment(999)
    assert not model.update_row(stranger)
    assert len(recorder.changed) == 1
    assert model.rowCount() == 5


def test_duplicates_in_a_page_update_instead_of_insert() -> None:
    rows = f.appointments(3)
    model = my_model(rows=rows)
    recorder = Recorder(model)
    moved = replace(rows[1], status=AppointmentStatus.CANCELED, awaiting=None, version=3)
    model.append_rows([moved, f.appointment(10, start=f.BASE.replace(hour=20))])
    assert recorder.changed == [(1, 0, 1, 4)]
    assert recorder.inserted == [(3, 3)]
    assert model.rowCount() == 4
    assert [a.id for a in model.rows()] == [1, 2, 3, 10]
    assert text(model, 1, MyAppointmentsModel.COL_STATUS) == "Canceled"


def test_rows_model_defaults() -> None:
    model = RowsModel[Appointment]([Column[Appointment]("Id", lambda a: str(a.id))], key=lambda a: a.id)
    model.set_rows(f.appointments(2))
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.columnCount(model.index(0, 0)) == 0
    assert model.data(model.index(0, 0), Qt.ItemDataRole.AccessibleTextRole) == "Id: 1"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole) is None


def test_the_model_passes_qt_model_tester(qtmodeltester: Any) -> None:
    rows = [
        f.appointment(1, created_by=f.PAUL),
        f.appointment(2, status=AppointmentStatus.REJECTED, reason="No"),
        *f.appointments(20, first_id=3),
    ]
    model = my_model(rows=rows)
    model.set_bold_rule(lambda a: a.is_awaiting(f.RITA))
    qtmodeltester.check(model)
    model.append_rows(f.appointments(5, first_id=100))
    model.update_row(replace(rows[0], status=AppointmentStatus.ACCEPTED, awaiting=None))
    model.set_rows(rows[:3])


def test_the_cases_model_passes_qt_model_tester(qtmodeltester: Any) -> None:
    model = CasesModel()
    model.set_rows([f.case("C-1", pending=1), f.case("C-2", title="Case two")])
    qtmodeltester.check(model)


# --- paging ----------------------------------------------------------------------------------------


class Gate:
    """A fetch whose answers the test releases one by one."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, asyncio.Future[Page[Appointment]]]] = []

    async def __call__(self, cursor: str | None) -> Page[Appointment]:
        future: asyncio.Future[Page[Appointment]] = asyncio.get_running_loop().create_future()
        self.calls.append((cursor, future))
        return await future

    def answer(self, call: int, rows: list[Appointment], next_cursor: str | None = None) -> None:
        self.calls[call][1].set_result(Page(items=tuple(rows), next_cursor=next_cursor))


@pytest.fixture
def paged(loop: asyncio.AbstractEventLoop) -> MyAppointmentsModel:
    """A model for the paging tests; ``loop`` runs the pages its view would ask for."""
    return my_model()


def test_reload_loads_the_first_page_then_more_as_one_insert_each(
    qtbot: QtBot, paged: MyAppointmentsModel
) -> None:
    paged.set_source(f.pages_of(f.appointments(450), 200))
    assert not paged.has_loaded
    assert not paged.canFetchMore()
    recorder = Recorder(paged)
    wait_for(qtbot, paged.reload())
    assert paged.has_loaded
    assert paged.rowCount() == 200
    assert recorder.resets == 1
    assert paged.canFetchMore()
    assert paged.more_available

    with qtbot.waitSignal(paged.loaded):
        paged.fetchMore()
    assert recorder.inserted == [(200, 399)]
    wait_for(qtbot, paged.load_more())
    assert recorder.inserted == [(200, 399), (400, 449)]
    assert not paged.canFetchMore()
    assert not paged.more_available
    paged.fetchMore()  # nothing more: no request, no signal
    wait_for(qtbot, paged.load_more())
    assert recorder.inserted == [(200, 399), (400, 449)]
    assert [a.id for a in paged.rows()] == list(range(1, 451))


def test_cannot_fetch_more_while_loading(qtbot: QtBot, paged: MyAppointmentsModel) -> None:
    gate = Gate()
    paged.set_source(gate)
    loading: list[bool] = []
    paged.loadingChanged.connect(loading.append)
    first = asyncio.ensure_future(paged.reload())
    qtbot.waitUntil(lambda: len(gate.calls) == 1)
    assert paged.loading
    assert not paged.canFetchMore()
    gate.answer(0, f.appointments(2), next_cursor="more")
    qtbot.waitUntil(first.done)
    assert paged.canFetchMore()

    paged.fetchMore()
    qtbot.waitUntil(lambda: len(gate.calls) == 2)
    assert gate.calls[1][0] == "more"
    assert paged.loading
    assert not paged.canFetchMore()
    paged.fetchMore()  # asked again while the page is on its way: no second request
    qtbot.wait(20)
    assert len(gate.calls) == 2
    with qtbot.waitSignal(paged.loaded):
        gate.answer(1, f.appointments(2, first_id=3))
    assert not paged.loading
    assert not paged.canFetchMore()  # that was the last page
    assert loading == [True, False, True, False]


@pytest.mark.parametrize("stale_answers", ["last", "first"])
def test_reload_discards_a_stale_page(qtbot: QtBot, paged: MyAppointmentsModel, stale_answers: str) -> None:
    gate = Gate()
    paged.set_source(gate)
    recorder = Recorder(paged)
    old = asyncio.ensure_future(paged.reload())
    qtbot.waitUntil(lambda: len(gate.calls) == 1)
    new = asyncio.ensure_future(paged.reload())
    qtbot.waitUntil(lambda: len(gate.calls) == 2)
    fresh = f.appointments(2, first_id=50)
    stale = f.appointments(3, first_id=1)
    order = [(1, fresh), (0, stale)] if stale_answers == "last" else [(0, stale), (1, fresh)]
    for call, rows in order:
        gate.answer(call, rows, next_cursor="stale-cursor" if rows is stale else None)
    qtbot.waitUntil(lambda: old.done() and new.done())
    assert [a.id for a in paged.rows()] == [50, 51]
    assert recorder.resets == 1
    assert not paged.loading
    assert not paged.canFetchMore()  # the stale page's cursor was not taken either


def test_reload_cancels_a_page_on_its_way(qtbot: QtBot, paged: MyAppointmentsModel) -> None:
    gate = Gate()
    paged.set_source(gate)
    first = asyncio.ensure_future(paged.reload())
    qtbot.waitUntil(lambda: len(gate.calls) == 1)
    gate.answer(0, f.appointments(2), next_cursor="more")
    qtbot.waitUntil(first.done)
    recorder = Recorder(paged)
    paged.fetchMore()
    qtbot.waitUntil(lambda: len(gate.calls) == 2)
    again = asyncio.ensure_future(paged.reload())
    qtbot.waitUntil(lambda: len(gate.calls) == 3)
    assert gate.calls[1][1].cancelled()
    gate.answer(2, f.appointments(1, first_id=70))
    qtbot.waitUntil(again.done)
    assert [a.id for a in paged.rows()] == [70]
    assert recorder.inserted == []
    assert not paged.loading


def test_a_failed_reload_keeps_the_rows_and_a_failed_page_is_signalled(
    qtbot: QtBot, paged: MyAppointmentsModel
) -> None:
    fail = False
    pages = f.pages_of(f.appointments(5), 2)

    async def fetch(cursor: str | None) -> Page[Appointment]:
        if fail:
            raise ServerUnavailable(None, "Unreachable", "connection refused")
        return await pages(cursor)

    paged.set_source(fetch)
    wait_for(qtbot, paged.reload())
    assert paged.rowCount() == 2
    fail = True
    failures: list[object] = []
    paged.loadFailed.connect(failures.append)
    with qtbot.waitSignal(paged.loadFailed):
        paged.fetchMore()
    assert isinstance(failures[0], ServerUnavailable)
    assert not paged.loading
    assert paged.canFetchMore()  # scrolling again retries

    with pytest.raises(ServerUnavailable):
        wait_for(qtbot, paged.reload())
    assert paged.rowCount() == 2
    assert not paged.loading


def test_a_paged_model_without_a_source_stays_empty(qtbot: QtBot, paged: MyAppointmentsModel) -> None:
    wait_for(qtbot, paged.reload())
    assert paged.rowCount() == 0
    assert not paged.has_loaded
    assert isinstance(paged, PagedRowsModel)
