"""The appointment dialogs, driven through their widgets against a real server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QDialog,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from apptdesk.api import Appointment, HistoryEntry, Person
from apptdesk.desktop.config import ClientConfig
from apptdesk.domain import AppointmentStatus, Role
from apptdesk.models.history import HistoryModel, describe, status_change
from apptdesk.models.session import AppSession
from apptdesk.views.dialogs.cancel import CancelDialog
from apptdesk.views.dialogs.common import DateTimeField
from apptdesk.views.dialogs.history import HistoryDialog
from apptdesk.views.dialogs.request import RequestDialog
from apptdesk.views.dialogs.reschedule import RescheduleDialog
from apptdesk.views.dialogs.respond import RespondDialog
from apptdesk.views.dialogs.settings import SettingsDialog, url_problem
from tests.support.api import Api, MutableClock
from tests.support.qt import wait_for

pytestmark = pytest.mark.gui

BERLIN = ZoneInfo("Europe/Berlin")
LEFT = Qt.MouseButton.LeftButton


# --- helpers -----------------------------------------------------------------------------------------


def opened(qtbot: QtBot, dialog: QDialog) -> Any:
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog


def fetch(qtbot: QtBot, session: AppSession, appointment_id: int) -> Appointment:
    return wait_for(qtbot, session.appointment(appointment_id))


def set_start(field: DateTimeField, moment: datetime) -> None:
    """Type a wall-clock time into the editor, as a user picking it would."""
    field.set_value(moment)


def in_days(days: int, hour: int, minute: int = 0) -> datetime:
    day = datetime.now(BERLIN) + timedelta(days=days)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def click_and_wait_accepted(qtbot: QtBot, dialog: QDialog, button: QWidget) -> None:
    with qtbot.waitSignal(dialog.accepted, timeout=15_000):
        qtbot.mouseClick(button, LEFT)
    assert dialog.result() == QDialog.DialogCode.Accepted


def click_and_wait_error(qtbot: QtBot, dialog: Any, button: QWidget) -> str:
    qtbot.mouseClick(button, LEFT)
    qtbot.waitUntil(lambda: bool(dialog.error_label.message()) and not dialog.sending, timeout=15_000)
    return str(dialog.error_label.message())


def click_radio(qtbot: QtBot, radio: QRadioButton) -> None:
    """Click the round indicator (a radio button spanning a wide cell ignores clicks beside its text)."""
    qtbot.mouseClick(radio, LEFT, pos=QPoint(8, radio.height() // 2))
    assert radio.isChecked()


def case_appointments(api: Api, who: str = "r1", case_id: str = "C-1") -> list[dict[str, Any]]:
    response = api.client(who).get(f"/cases/{case_id}/appointments")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def spy(monkeypatch: pytest.MonkeyPatch, session: AppSession, name: str) -> list[dict[str, Any]]:
    """Record the keyword arguments of each call to ``session.<name>``, then make the real call."""
    calls: list[dict[str, Any]] = []
    real = getattr(session, name)

    async def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return await real(*args, **kwargs)

    monkeypatch.setattr(session, name, recording)
    return calls


@pytest.fixture
def r1(session_for: Callable[[str], AppSession]) -> AppSession:
    return session_for("r1")


@pytest.fixture
def p1(session_for: Callable[[str], AppSession]) -> AppSession:
    return session_for("p1")


# --- request -----------------------------------------------------------------------------------------


def test_request_dialog_starts_with_sensible_defaults(qtbot: QtBot, r1: AppSession) -> None:
    case = wait_for(qtbot, r1.case("C-1"))
    dialog = opened(qtbot, RequestDialog(r1, case, BERLIN, None))
    assert dialog.objectName() == "requestDialog"
    assert dialog.windowTitle() == "Request Appointment"
    start = dialog.start.value()
    tomorrow = datetime.now(BERLIN) + timedelta(days=1)
    assert (start.minute, start.second) == (0, 0)
    assert timedelta(0) < start - tomorrow <= timedelta(hours=1)
    assert dialog.start_edit.calendarPopup()
    assert dialog.start_edit.displayFormat().startswith("ddd")
    assert dialog.start.zone_label.text().startswith("Times are in Europe/Berlin (CE")
    spin = dialog.findChild(QAbstractSpinBox, "durationSpin")
    assert (spin.minimum(), spin.maximum(), spin.singleStep(), spin.value(), spin.suffix()) == (
        5,
        480,
        5,
        30,
        " min",
    )
    purpose = dialog.findChild(QPlainTextEdit, "purposeEdit")
    assert purpose.placeholderText() == "Optional: what you want to discuss"
    assert dialog.purpose.counter.text() == "2000 characters left"
    send = dialog.findChild(QAbstractButton, "sendRequestButton")
    assert send.text() == "Send Request"
    assert send.isDefault()
    assert dialog.error_label.isHidden()
    assert "Paul Provider" in dialog.with_label.text()


def test_request_creates_the_appointment_on_the_server(
    qtbot: QtBot, r1: AppSession, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = wait_for(qtbot, r1.case("C-1"))
    calls = spy(monkeypatch, r1, "request")
    dialog = opened(qtbot, RequestDialog(r1, case, BERLIN, None))
    start = in_days(3, 10, 15)
    set_start(dialog.start, start)
    dialog.duration_spin.selectAll()
    qtbot.keyClicks(dialog.duration_spin, "45")
    qtbot.keyClicks(dialog.purpose_edit, "Discuss the MRI results")
    changed: list[Appointment] = []
    r1.appointmentChanged.connect(changed.append)

    click_and_wait_accepted(qtbot, dialog, dialog.send_button)

    assert calls == [{"timezone": "Europe/Berlin"}]
    created = dialog.result_appointment
    assert created is not None
    assert changed == [created]
    on_server = api.get("r1", created.id)
    assert datetime.fromisoformat(on_server["start"]) == start
    assert on_server["duration_minutes"] == 45
    assert on_server["purpose"] == "Discuss the MRI results"
    assert on_server["timezone"] == "Europe/Berlin"
    assert on_server["status"] == "pending"
    assert on_server["awaiting"]["name"] == "Paul Provider"


def test_a_start_in_the_past_is_refused_without_sending(
    qtbot: QtBot, r1: AppSession, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = wait_for(qtbot, r1.case("C-1"))
    calls = spy(monkeypatch, r1, "request")
    dialog = opened(qtbot, RequestDialog(r1, case, BERLIN, None))
    set_start(dialog.start, datetime.now(BERLIN) - timedelta(hours=2))

    message = click_and_wait_error(qtbot, dialog, dialog.send_button)

    assert message == "The start time is in the past. Please choose a time in the future."
    assert dialog.isVisible()
    assert calls == []
    assert case_appointments(api) == []


def test_the_remaining_characters_count_down_and_too_much_text_cannot_be_sent(
    qtbot: QtBot, r1: AppSession
) -> None:
    case = wait_for(qtbot, r1.case("C-1"))
    dialog = opened(qtbot, RequestDialog(r1, case, BERLIN, None))
    qtbot.keyClicks(dialog.purpose_edit, "Hello")
    assert dialog.purpose.counter.text() == "1995 characters left"
    assert dialog.send_button.isEnabled()

    dialog.purpose_edit.setPlainText("x" * 2001)
    assert dialog.purpose.counter.text().startswith("1 character too many")
    assert not dialog.send_button.isEnabled()
    assert dialog.purpose.text() == "x" * 2001  # nothing typed is cut off

    qtbot.keyClick(dialog.purpose_edit, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(dialog.purpose_edit, Qt.Key.Key_Backspace)
    assert dialog.purpose.counter.text() == "0 characters left"
    assert dialog.send_button.isEnabled()


def test_a_refusal_by_the_server_is_shown_inline_and_keeps_the_input(
    qtbot: QtBot, r1: AppSession, api: Api, clock: MutableClock
) -> None:
    case = wait_for(qtbot, r1.case("C-1"))
    dialog = opened(qtbot, RequestDialog(r1, case, BERLIN, None))
    start = datetime.now(BERLIN).replace(second=0, microsecond=0) + timedelta(minutes=4)
    set_start(dialog.start, start)
    qtbot.keyClicks(dialog.purpose_edit, "Second opinion on the X-ray")
    # The server's clock runs ahead (less than a sign-in lasts): the start is past there, not here.
    clock.advance(timedelta(minutes=10))

    message = click_and_wait_error(qtbot, dialog, dialog.send_button)

    assert message == "Start time: the appointment must start in the future."
    assert dialog.isVisible()
    assert dialog.result_appointment is None
    assert dialog.start.value() == start
    assert dialog.purpose.text() == "Second opinion on the X-ray"
    assert dialog.duration_spin.value() == 30
    assert dialog.focusWidget() is dialog.start_edit  # the field the server named
    assert all(w.isEnabled() for w in (dialog.start_edit, dialog.purpose_edit, dialog.send_button))
    assert case_appointments(api) == []


def test_escape_closes_the_request_dialog(qtbot: QtBot, r1: AppSession) -> None:
    case = wait_for(qtbot, r1.case("C-1"))
    dialog = opened(qtbot, RequestDialog(r1, case, BERLIN, None))
    with qtbot.waitSignal(dialog.rejected, timeout=2_000):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_edit_sends_only_the_changed_fields(
    qtbot: QtBot, r1: AppSession, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # api.future() has seconds: an untouched start must not count as changed though the editor drops them.
    created = api.create("r1", purpose="Original purpose")
    case = wait_for(qtbot, r1.case("C-1"))
    calls = spy(monkeypatch, r1, "update")
    dialog = opened(qtbot, RequestDialog(r1, case, BERLIN, None, appointment=fetch(qtbot, r1, created["id"])))
    assert dialog.windowTitle() == "Edit Appointment"
    assert dialog.send_button.text() == "Save Changes"
    assert dialog.purpose.text() == "Original purpose"

    assert "not changed anything" in click_and_wait_error(qtbot, dialog, dialog.send_button)
    assert calls == []

    dialog.duration_spin.selectAll()
    qtbot.keyClicks(dialog.duration_spin, "60")
    click_and_wait_accepted(qtbot, dialog, dialog.send_button)

    assert calls == [{"duration_minutes": 60}]
    on_server = api.get("r1", created["id"])
    assert on_server["duration_minutes"] == 60
    assert on_server["start"] == created["start"]
    assert on_server["purpose"] == "Original purpose"


def test_edit_of_the_purpose_alone_sends_only_the_purpose(
    qtbot: QtBot, r1: AppSession, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = api.create("r1", purpose="Original purpose")
    case = wait_for(qtbot, r1.case("C-1"))
    calls = spy(monkeypatch, r1, "update")
    dialog = opened(qtbot, RequestDialog(r1, case, BERLIN, None, appointment=fetch(qtbot, r1, created["id"])))
    dialog.purpose_edit.selectAll()
    qtbot.keyClicks(dialog.purpose_edit, "New purpose")

    click_and_wait_accepted(qtbot, dialog, dialog.send_button)

    assert calls == [{"purpose": "New purpose", "change_purpose": True}]
    on_server = api.get("r1", created["id"])
    assert (on_server["purpose"], on_server["start"], on_server["duration_minutes"]) == (
        "New purpose",
        created["start"],
        created["duration_minutes"],
    )


# --- respond -----------------------------------------------------------------------------------------


def test_respond_shows_the_proposal_and_accepts_it(qtbot: QtBot, p1: AppSession, api: Api) -> None:
    purpose = "Line one\nLine two: the whole text, not just the first line."
    created = api.create("r1", purpose=purpose, duration_minutes=45)
    dialog = opened(qtbot, RespondDialog(p1, fetch(qtbot, p1, created["id"]), BERLIN, None))
    assert dialog.purpose_view.toPlainText() == purpose
    assert dialog.purpose_view.isReadOnly()
    assert dialog.duration_label.text() == "45 min"
    assert "Rita Requester" in dialog.proposer_label.text()
    assert dialog.reason_edit.placeholderText() == "Reason (optional)"
    assert dialog.accept_button.isDefault()

    click_and_wait_accepted(qtbot, dialog, dialog.findChild(QAbstractButton, "dialogAcceptButton"))

    assert dialog.result_appointment is not None
    assert dialog.result_appointment.status is AppointmentStatus.ACCEPTED
    assert api.get("r1", created["id"])["status"] == "accepted"


def test_respond_rejects_with_a_reason(qtbot: QtBot, p1: AppSession, api: Api) -> None:
    created = api.create("r1")
    dialog = opened(qtbot, RespondDialog(p1, fetch(qtbot, p1, created["id"]), BERLIN, None))
    qtbot.keyClicks(dialog.reason_edit, "I am away that week")

    click_and_wait_accepted(qtbot, dialog, dialog.findChild(QAbstractButton, "dialogRejectButton"))

    on_server = api.get("r1", created["id"])
    assert (on_server["status"], on_server["reason"]) == ("rejected", "I am away that week")


def test_respond_after_someone_else_acted_says_so_and_refreshes_the_row(
    qtbot: QtBot, p1: AppSession, api: Api
) -> None:
    created = api.create("r1")
    dialog = opened(qtbot, RespondDialog(p1, fetch(qtbot, p1, created["id"]), BERLIN, None))
    # Meanwhile the requester cancels it.
    assert api.act("r1", created["id"], "cancel", reason="Patient is unwell").status_code == 200

    with qtbot.waitSignal(
        p1.appointmentChanged,
        timeout=15_000,
        check_params_cb=lambda a: a.id == created["id"] and a.status is AppointmentStatus.CANCELED,
    ):
        message = click_and_wait_error(qtbot, dialog, dialog.accept_button)

    assert message.startswith("Someone else changed this appointment while this window was open")
    assert "your answer was not sent" in message
    assert "It is now canceled. Reason given: Patient is unwell." in message
    assert not dialog.accept_button.isEnabled()
    assert not dialog.reject_button.isEnabled()
    assert dialog.close_button.isEnabled()
    assert dialog.isVisible()
    assert dialog.result_appointment is None
    assert api.get("r1", created["id"])["status"] == "canceled"


# --- reschedule and cancel ---------------------------------------------------------------------------


def test_reschedule_of_an_accepted_appointment_asks_the_other_participant(
    qtbot: QtBot, r1: AppSession, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = api.create("r1")
    assert api.act("p1", created["id"], "accept").status_code == 200
    calls = spy(monkeypatch, r1, "update")
    dialog = opened(qtbot, RescheduleDialog(r1, fetch(qtbot, r1, created["id"]), BERLIN, None))
    assert "Paul Provider" in dialog.current_with.text()
    assert dialog.note.text() == "The other participant will be asked to accept the new time."
    new_start = in_days(4, 14, 30)
    set_start(dialog.start, new_start)

    click_and_wait_accepted(qtbot, dialog, dialog.findChild(QAbstractButton, "proposeTimeButton"))

    assert calls == [{"start": new_start}]
    result = dialog.result_appointment
    assert result is not None
    assert result.status is AppointmentStatus.PENDING
    assert result.awaiting is not None
    assert result.awaiting.name == "Paul Provider"
    on_server = api.get("p1", created["id"])
    assert datetime.fromisoformat(on_server["start"]) == new_start
    assert (on_server["status"], on_server["proposed_by"]["name"]) == ("pending", "Rita Requester")


@pytest.mark.parametrize(
    ("who", "change", "says"),
    [
        # p1 reschedules first: r1 is no longer the proposer, and the server answers 403, not 412.
        ("p1", {"duration_minutes": 90}, "It is now pending."),
        # r1 edits the purpose in another window: same status, a newer version (412).
        ("r1", {"purpose": "Changed elsewhere"}, "Its details have changed"),
    ],
)
def test_reschedule_after_a_change_by_someone_else_refreshes_and_stops(
    qtbot: QtBot, r1: AppSession, api: Api, who: str, change: dict[str, Any], says: str
) -> None:
    created = api.create("r1")
    api.act("p1", created["id"], "accept")
    dialog = opened(qtbot, RescheduleDialog(r1, fetch(qtbot, r1, created["id"]), BERLIN, None))
    assert api.patch(who, api.get(who, created["id"]), **change).status_code == 200
    set_start(dialog.start, in_days(5, 8))

    with qtbot.waitSignal(r1.appointmentChanged, timeout=15_000):
        message = click_and_wait_error(qtbot, dialog, dialog.propose_button)

    assert message.startswith("Someone else changed this appointment while this window was open")
    assert "the new time was not proposed" in message
    assert says in message
    if who == "p1":
        assert dialog.current_duration.text() == "1 h 30 min"  # the left side shows it as it is now
    assert not dialog.propose_button.isEnabled()
    assert dialog.close_button.isEnabled()


def test_cancel_with_a_reason(qtbot: QtBot, r1: AppSession, api: Api) -> None:
    created = api.create("r1")
    api.act("p1", created["id"], "accept")
    appointment = fetch(qtbot, r1, created["id"])
    dialog = opened(qtbot, CancelDialog(r1, appointment, BERLIN, None))
    question = dialog.question.text()
    assert question.startswith("Cancel the appointment on ")
    assert question.endswith(" with Paul Provider?")
    assert dialog.findChild(QAbstractButton, "keepAppointmentButton").isDefault()
    qtbot.keyClicks(dialog.reason_edit, "Scheduling conflict")

    click_and_wait_accepted(qtbot, dialog, dialog.findChild(QAbstractButton, "confirmCancelButton"))

    on_server = api.get("p1", created["id"])
    assert (on_server["status"], on_server["reason"]) == ("canceled", "Scheduling conflict")


def test_keep_appointment_changes_nothing(qtbot: QtBot, r1: AppSession, api: Api) -> None:
    created = api.create("r1")
    dialog = opened(qtbot, CancelDialog(r1, fetch(qtbot, r1, created["id"]), BERLIN, None))
    with qtbot.waitSignal(dialog.rejected, timeout=2_000):
        qtbot.mouseClick(dialog.keep_button, LEFT)
    assert api.get("r1", created["id"])["status"] == "pending"


# --- history -----------------------------------------------------------------------------------------


def test_history_lists_the_entries_in_order_with_names(qtbot: QtBot, r1: AppSession, api: Api) -> None:
    created = api.create("r1", duration_minutes=45)
    api.act("p1", created["id"], "accept")
    dialog = HistoryDialog(r1, fetch(qtbot, r1, created["id"]), BERLIN, None)
    qtbot.addWidget(dialog)
    dialog.open()
    assert dialog.status_label.isVisible()
    assert dialog.status_label.text() == "Loading…"
    assert dialog.retry_button.isHidden()

    qtbot.waitUntil(lambda: dialog.loaded, timeout=15_000)

    model = dialog.model

    def cell(row: int, column: int) -> str:
        return str(model.data(model.index(row, column)))

    assert model.rowCount() == 2
    assert [cell(r, HistoryModel.COL_WHO) for r in range(2)] == ["Rita Requester", "Paul Provider"]
    assert cell(0, HistoryModel.COL_WHAT).startswith("Created: ")
    assert cell(0, HistoryModel.COL_WHAT).endswith(", 45 min")
    assert cell(1, HistoryModel.COL_WHAT) == "Accepted"
    assert [cell(r, HistoryModel.COL_STATUS) for r in range(2)] == ["Pending", "Pending → Accepted"]
    assert dialog.table.isVisible()
    assert not dialog.status_label.isVisible()


def test_history_that_cannot_be_loaded_says_so_and_offers_to_try_again(
    qtbot: QtBot, session_for: Callable[[str], AppSession], r1: AppSession, api: Api
) -> None:
    created = api.create("r1")
    appointment = fetch(qtbot, r1, created["id"])
    outsider = session_for("r2")  # the appointment does not exist for r2: 404
    dialog = opened(qtbot, HistoryDialog(outsider, appointment, BERLIN, None))

    qtbot.waitUntil(lambda: bool(dialog.error_label.message()), timeout=15_000)

    assert dialog.error_label.message().startswith("The history could not be loaded. ")
    assert dialog.retry_button.isVisible()
    assert not dialog.loaded


def test_history_descriptions() -> None:
    rita = Person(1, "Rita Requester", Role.REQUESTER)
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def entry(action: str, changes: dict[str, Any], reason: str | None = None) -> HistoryEntry:
        before = AppointmentStatus.ACCEPTED
        after = AppointmentStatus.PENDING if action == "rescheduled" else AppointmentStatus.REJECTED
        return HistoryEntry(1, at, rita, action, before, after, changes, reason)

    moved = entry("rescheduled", {"start": ("2026-12-01T08:00:00Z", "2026-12-01T10:00:00Z")})
    assert describe(moved, BERLIN).startswith("Rescheduled: start Tue 01 Dec ")
    assert describe(moved, BERLIN).endswith("09:00 → 11:00")
    assert status_change(moved) == "Accepted → Pending"
    longer = entry("edited", {"duration_minutes": (30, 90), "purpose": (None, "x")})
    assert describe(longer, BERLIN) == "Edited: duration 30 min → 1 h 30 min; purpose added"
    no = entry("rejected", {}, reason="Away that week")
    assert describe(no, BERLIN) == "Rejected — reason: Away that week"


# --- settings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("", "Enter the server's address"),
        ("appointments.example.org", "Start the address with https://"),
        ("ftp://appointments.example.org", "must start with https:// or http://"),
        ("https://", "needs a server name"),
        ("https://example.org:99999", "port"),
        ("https://bob:secret@example.org", "Leave the user name and password out"),
    ],
)
def test_settings_refuse_an_unusable_server_address(qtbot: QtBot, url: str, says: str) -> None:
    config = ClientConfig()
    dialog = opened(qtbot, SettingsDialog(config, None))
    assert not dialog.url_edit.isEnabled()
    click_radio(qtbot, dialog.remote_radio)
    assert dialog.url_edit.isEnabled()
    qtbot.keyClicks(dialog.url_edit, url)

    qtbot.mouseClick(dialog.save_button, LEFT)

    assert says in dialog.error_label.message()
    assert dialog.isVisible()
    assert config == ClientConfig()


def test_settings_save_a_server_and_the_idle_lock(qtbot: QtBot) -> None:
    config = ClientConfig()
    dialog = opened(qtbot, SettingsDialog(config, None))
    click_radio(qtbot, dialog.remote_radio)
    qtbot.keyClicks(dialog.url_edit, "  https://appointments.example.org/ ")
    dialog.idle_spin.selectAll()
    qtbot.keyClicks(dialog.idle_spin, "30")

    click_and_wait_accepted(qtbot, dialog, dialog.save_button)

    assert config.server_url == "https://appointments.example.org"
    assert config.idle_lock_minutes == 30


def test_settings_switch_back_to_the_local_server(qtbot: QtBot) -> None:
    config = ClientConfig(server_url="https://appointments.example.org", idle_lock_minutes=500)
    dialog = opened(qtbot, SettingsDialog(config, None))
    assert dialog.remote_radio.isChecked()
    assert dialog.url_edit.text() == "https://appointments.example.org"
    assert dialog.idle_spin.value() == 240  # the dialog offers 1–240 minutes
    click_radio(qtbot, dialog.local_radio)

    click_and_wait_accepted(qtbot, dialog, dialog.save_button)

    assert config.server_url is None
    assert config.idle_lock_minutes == 240


def test_url_problem_accepts_plain_addresses() -> None:
    assert url_problem("http://127.0.0.1:8765") is None
    assert url_problem("https://appointments.example.org/apptdesk") is None


# --- keyboard and screen readers ---------------------------------------------------------------------


def test_every_control_has_an_accessible_name_and_takes_focus(qtbot: QtBot, r1: AppSession, api: Api) -> None:
    created = api.create("r1")
    appointment = fetch(qtbot, r1, created["id"])
    case = wait_for(qtbot, r1.case("C-1"))
    dialogs: list[QDialog] = [
        RequestDialog(r1, case, BERLIN, None),
        RequestDialog(r1, case, BERLIN, None, appointment=appointment),
        RespondDialog(r1, appointment, BERLIN, None),
        RescheduleDialog(r1, appointment, BERLIN, None),
        CancelDialog(r1, appointment, BERLIN, None),
        HistoryDialog(r1, appointment, BERLIN, None),
        SettingsDialog(ClientConfig(), None),
    ]
    for dialog in dialogs:
        opened(qtbot, dialog)
        controls = [
            w
            for kind in (QAbstractButton, QAbstractSpinBox, QPlainTextEdit, QLineEdit, QAbstractItemView)
            for w in dialog.findChildren(kind)
            # Not the parts Qt builds into a control: a spin box's line edit, a table's headers.
            if not isinstance(w.parentWidget(), QAbstractSpinBox | QAbstractItemView)
        ]
        assert controls, dialog.objectName()
        for control in controls:
            where = f"{dialog.objectName()}/{control.objectName() or type(control).__name__}"
            assert control.accessibleName(), where
            assert control.focusPolicy() & Qt.FocusPolicy.TabFocus, where
        defaults = [b for b in dialog.findChildren(QPushButton) if b.isDefault()]
        assert len(defaults) == 1, dialog.objectName()
        dialog.reject()
    # The proposer cannot answer their own request: the respond dialog says so and offers no action.
    respond = dialogs[2]
    assert isinstance(respond, RespondDialog)
    assert not respond.accept_button.isEnabled()
    assert "other participant's answer" in respond.error_label.text()
