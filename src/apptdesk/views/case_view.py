"""A case, with its Appointments tab: the table, the actions, and the selected appointment's details.

Which actions exist depends on who is looking: for an administrator every write control is absent
(not created at all); for a participant each is enabled only when the domain rules allow it for this
row — the same rules the server enforces.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from datetime import tzinfo

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from apptdesk.api import ApiError, Appointment, Case, Conflict, PreconditionFailed, User
from apptdesk.domain import Action
from apptdesk.models import formatting as fmt
from apptdesk.models.appointments import CaseAppointmentsModel, by_start
from apptdesk.models.inbox import Inbox
from apptdesk.models.rows import ObjectRole
from apptdesk.models.session import AppSession
from apptdesk.views.appointment_details import AppointmentDetails
from apptdesk.views.case_list import is_enter
from apptdesk.views.dialogs.cancel import CancelDialog
from apptdesk.views.dialogs.history import HistoryDialog
from apptdesk.views.dialogs.request import RequestDialog
from apptdesk.views.dialogs.reschedule import RescheduleDialog
from apptdesk.views.dialogs.respond import RespondDialog
from apptdesk.views.table import TableWithPlaceholder, make_table
from apptdesk.views.tasks import ErrorSink, async_slot, working

# Button object names, labels and the action each stands for (None: not an appointment action).
WRITE_BUTTONS: list[tuple[str, str, Action]] = [
    ("acceptButton", "Accept", Action.ACCEPT),
    ("rejectButton", "Reject…", Action.REJECT),
    ("editButton", "Edit…", Action.EDIT),
    ("rescheduleButton", "Reschedule…", Action.RESCHEDULE),
    ("cancelButton", "Cancel Appointment…", Action.CANCEL),
    ("completeButton", "Mark Completed", Action.COMPLETE),
]


class CaseAppointmentsTab(QWidget):
    def __init__(
        self,
        session: AppSession,
        sink: ErrorSink,
        case: Case,
        user: User,
        zone: tzinfo,
        parent: QWidget | None = None,
        inbox: Inbox | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("caseAppointmentsTab")
        self.session, self.sink, self.case, self.user, self.zone = session, sink, case, user, zone
        self.read_only = user.is_admin
        self.model = CaseAppointmentsModel(user, zone, self)
        self.model.set_source(lambda cursor: session.case_appointments(case.id, cursor))
        self.inbox = inbox
        if inbox is not None:
            # Unread appointments stand out until opened. A bound method, not a lambda: Qt drops the
            # connection when this tab is deleted.
            self._mark_unread()
            inbox.changed.connect(self._mark_unread)
        self.buttons: dict[str, QPushButton] = {}
        self._dialog: QDialog | None = None

        bar = QHBoxLayout()
        if not self.read_only:
            self.request_button = self._button(
                "requestAppointmentButton", "Request Appointment", self.request
            )
            self.request_button.setToolTip("Propose a date and time to the other participant (Ctrl+N)")
            self.request_button.setDefault(True)
            self.request_button.setEnabled(case.can_create(user))
            bar.addWidget(self.request_button)
            bar.addSpacing(12)
            for name, label, action in WRITE_BUTTONS:
                bar.addWidget(self._button(name, label, self._handler(action)))
        bar.addStretch(1)
        bar.addWidget(self._button("historyButton", "History", self.show_history))

        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(4)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.view = make_table(
            "caseAppointmentsView", self.model, stretch=[CaseAppointmentsModel.COL_PURPOSE]
        )
        self.view.setAccessibleName(f"Appointments of case {case.id}")
        self.view.doubleClicked.connect(self._activated)
        self.view.installEventFilter(self)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self.update_actions())
        self.body = TableWithPlaceholder(self.view)
        self.body.show_placeholder("Loading appointments…")
        self.details = AppointmentDetails(zone)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.body)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.progress)
        layout.addWidget(splitter, 1)

        self.model.loadingChanged.connect(self.progress.setVisible)
        self.model.loaded.connect(self._after_load)
        self.model.dataChanged.connect(lambda *_: self.update_actions())
        self.model.loadFailed.connect(lambda exc: self.sink.report(exc, "loading appointments"))
        session.appointmentChanged.connect(self._changed)
        self.update_actions()

    def _button(self, name: str, label: str, handler: Callable[[], object]) -> QPushButton:
        button = QPushButton(label)
        button.setObjectName(name)
        button.setAccessibleName(label.rstrip("…"))
        button.clicked.connect(handler)
        self.buttons[name] = button
        return button

    def _handler(self, action: Action) -> Callable[[], object]:
        handlers: dict[Action, Callable[[], object]] = {
            Action.ACCEPT: self.accept,
            Action.REJECT: self.reject,
            Action.EDIT: self.edit,
            Action.RESCHEDULE: self.reschedule,
            Action.CANCEL: self.cancel,
            Action.COMPLETE: self.complete,
        }
        return handlers[action]

    # --- state --------------------------------------------------------------------------------------
    def selected(self) -> Appointment | None:
        index = self.view.currentIndex()
        value = index.data(ObjectRole) if index.isValid() else None
        return value if isinstance(value, Appointment) else None

    def select(self, appointment_id: int) -> bool:
        row = self.model.position_of(appointment_id)
        if row is None:
            return False
        self.view.selectRow(row)
        self.view.scrollTo(self.model.index(row, 0))
        return True

    def update_actions(self) -> None:
        appointment = self.selected()
        allowed = appointment.allowed_actions(self.user) if appointment else frozenset()
        for name, _label, action in WRITE_BUTTONS:
            if name in self.buttons:
                self.buttons[name].setEnabled(action in allowed)
        self.buttons["historyButton"].setEnabled(appointment is not None)
        self.details.show_appointment(appointment, self.user)

    def _after_load(self) -> None:
        if self.model.rowCount():
            self.body.show_table()
            if not self.view.currentIndex().isValid():
                self.view.selectRow(0)
        elif self.read_only:
            self.body.show_placeholder("No appointments in this case.")
        else:
            self.body.show_placeholder("No appointments yet — use Request Appointment to propose one.")
        self.update_actions()

    def _changed(self, appointment: Appointment) -> None:
        if appointment.case_id != self.case.id:
            return
        if self.model.insert_sorted(appointment, by_start) and self.model.rowCount() == 1:
            self._after_load()  # the first row: the table replaces the "no appointments" note
        self.update_actions()

    def _mark_unread(self) -> None:
        inbox = self.inbox
        if inbox is not None:
            self.model.set_bold_rule(lambda a: inbox.is_unread(a.id))

    def _seen(self, appointment: Appointment) -> None:
        """The person opened or acted on it: its notifications are read (selecting alone is not)."""
        if self.inbox is not None and self.inbox.is_unread(appointment.id):
            self._mark_read(appointment.id)

    @async_slot(int)
    async def _mark_read(self, appointment_id: int) -> None:
        assert self.inbox is not None
        ids = self.inbox.unread_for(appointment_id)
        self.inbox.mark_read(ids)
        async with working(self.sink, doing="marking notifications read"):
            await self.session.mark_read(ids)

    async def refresh(self) -> None:
        current = self.selected()
        await self.model.reload()
        if current is not None:
            self.select(current.id)

    # --- actions ------------------------------------------------------------------------------------
    def _open(self, dialog: QDialog, about: Appointment | None = None) -> None:
        if about is not None:
            self._seen(about)
        self._dialog = dialog
        dialog.finished.connect(lambda _result: self.view.setFocus())
        dialog.open()

    def _open_about_selected(self, make: Callable[[Appointment], QDialog]) -> None:
        appointment = self.selected()
        if appointment is not None:
            self._open(make(appointment), about=appointment)

    def request(self) -> None:
        if self.read_only or not self.case.can_create(self.user):
            return
        self._open(RequestDialog(self.session, self.case, self.zone, self))

    def edit(self) -> None:
        self._open_about_selected(
            lambda a: RequestDialog(self.session, self.case, self.zone, self, appointment=a)
        )

    def reject(self) -> None:
        self._open_about_selected(lambda a: RespondDialog(self.session, a, self.zone, self))

    def reschedule(self) -> None:
        self._open_about_selected(lambda a: RescheduleDialog(self.session, a, self.zone, self))

    def cancel(self) -> None:
        self._open_about_selected(lambda a: CancelDialog(self.session, a, self.zone, self))

    def show_history(self) -> None:
        self._open_about_selected(lambda a: HistoryDialog(self.session, a, self.zone, self))

    @async_slot()
    async def accept(self) -> None:
        appointment = self.selected()
        if appointment is not None:
            await self._act(appointment, self.session.accept(appointment), "accepting the appointment")

    @async_slot()
    async def complete(self) -> None:
        appointment = self.selected()
        if appointment is not None:
            await self._act(
                appointment, self.session.complete(appointment), "marking the appointment completed"
            )

    async def _act(self, appointment: Appointment, call: Awaitable[Appointment], doing: str) -> None:
        self._seen(appointment)
        async with working(self.sink, *self.buttons.values(), doing=doing):
            try:
                await call
            except (Conflict, PreconditionFailed) as exc:
                # Someone else acted first: show the row as it is now, and say so in plain words.
                await self._reload_row(appointment.id)
                raise exc
        self.update_actions()

    async def _reload_row(self, appointment_id: int) -> None:
        try:
            await self.session.appointment(appointment_id)
        except ApiError:
            await self.refresh()

    def _activated(self, index: QModelIndex) -> None:
        appointment = index.data(ObjectRole)
        if not isinstance(appointment, Appointment):
            return
        if not self.read_only and Action.ACCEPT in appointment.allowed_actions(self.user):
            self.reject()  # the respond dialog: accept, or reject with a reason
        else:
            self.show_history()

    def eventFilter(self, watched: object, event: object) -> bool:
        if watched is self.view and is_enter(event):
            self._activated(self.view.currentIndex())
            return True
        return False


class CaseView(QWidget):
    """A case: its header and tabs (Appointments). ``back`` returns to the case list."""

    back = Signal()

    def __init__(
        self,
        session: AppSession,
        sink: ErrorSink,
        case: Case,
        user: User,
        zone: tzinfo,
        parent: QWidget | None = None,
        inbox: Inbox | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("caseView")
        self.case = case
        back = QPushButton("← Cases")
        back.setObjectName("backToCasesButton")
        back.setAccessibleName("Back to the case list")
        back.clicked.connect(self.back)
        title = QLabel(f"<h2>{case.id} · {_escape(case.title)}</h2>")
        title.setTextFormat(Qt.TextFormat.RichText)
        zone_note = QLabel(f"Times in {fmt.zone_name(zone)}")
        zone_note.setObjectName("zoneNote")
        zone_note.setStyleSheet("color: palette(placeholder-text);")
        people = QLabel(
            f"Requester: <b>{_escape(case.requester.name)}</b> &nbsp;·&nbsp; "
            f"Provider: <b>{_escape(case.provider.name)}</b>"
        )
        header = QHBoxLayout()
        header.addWidget(back)
        header.addSpacing(8)
        header.addWidget(title, 1)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("caseTabs")
        self.appointments = CaseAppointmentsTab(session, sink, case, user, zone, inbox=inbox)
        self.tabs.addTab(self.appointments, "Appointments")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 16)
        layout.addLayout(header)
        details = QHBoxLayout()
        details.addWidget(people, 1)
        details.addWidget(zone_note)
        layout.addLayout(details)
        layout.addWidget(self.tabs, 1)

    async def refresh(self) -> None:
        await self.appointments.refresh()


def _escape(text: str) -> str:
    return html.escape(text)
