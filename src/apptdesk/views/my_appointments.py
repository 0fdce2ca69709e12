"""My Appointments: every appointment of the signed-in user (an administrator's page: all of them).

The server filters and orders (by date); the page only says what to ask for. Any filter change reloads
the lazily loaded ``MyAppointmentsModel`` (typing is debounced), the first 200 rows arrive at once and
the view asks for more as the user scrolls. Changes made anywhere in the app update their row in place.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from apptdesk.api import ApiError, Appointment, Page
from apptdesk.domain import AppointmentStatus
from apptdesk.models import formatting as fmt
from apptdesk.models.appointments import MyAppointmentsModel, by_start
from apptdesk.models.inbox import Inbox
from apptdesk.models.paged import Fetch
from apptdesk.models.rows import ObjectRole
from apptdesk.models.session import AppSession
from apptdesk.views.filters import AppointmentFilters, DateFilter
from apptdesk.views.tasks import ErrorSink, set_accessible, working

TYPING_DELAY_MS = 300  # typing in a text or date field waits this long before asking the server

NO_APPOINTMENTS = "No appointments yet. Open a case and use Request Appointment."
NO_MATCHES = "No appointments match these filters."
LOADING = "Loading appointments…"
LOAD_FAILED = "The appointments could not be loaded."


class MyAppointmentsPage(QWidget):
    """The My Appointments page. ``await refresh()`` (F5) reloads with the current filters."""

    openCase = Signal(str, int)  # case_id, appointment_id: double-click or Enter on a row

    def __init__(
        self,
        session: AppSession,
        sink: ErrorSink,
        zone: tzinfo | None = None,
        parent: QWidget | None = None,
        inbox: Inbox | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("myAppointmentsPage")
        self._session = session
        self._sink = sink
        self._user = session.require_user()
        self._zone = zone or fmt.local_zone()
        self.model = MyAppointmentsModel(self._user, self._zone, self)
        self._inbox = inbox
        if inbox is not None:
            # Unread appointments stand out (bold) until read. A bound method, not a lambda: Qt drops
            # the connection when this page is deleted.
            self._mark_unread()
            inbox.changed.connect(self._mark_unread)
        self._refreshes = 0  # only the newest refresh reports a failure; an older one was superseded
        self._started = False
        self._failed = False  # the newest refresh failed
        self._failure = ""  # and why, in words for a person
        self._shown = AppointmentFilters()  # the filters the rows on screen were loaded with
        self._requested: AppointmentFilters | None = None  # the filters of the newest refresh
        self._tasks: set[asyncio.Future[None]] = set()  # refreshes started from signals, kept alive
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.timeout.connect(self._apply_filters)

        self._build()
        self.model.loadingChanged.connect(self._loading_changed)
        self.model.loaded.connect(self._update_state)
        self.model.modelReset.connect(self._update_state)
        self.model.rowsInserted.connect(self._update_state)
        self.model.loadFailed.connect(self._page_failed)
        session.appointmentChanged.connect(self._appointment_changed)
        session.signedOut.connect(self._debounce.stop)  # no reload with a session that is gone
        self._update_state()

    # --- building ---------------------------------------------------------------------------------
    def _build(self) -> None:
        heading = QLabel("All Appointments" if self._user.is_admin else "My Appointments")
        heading.setObjectName("myAppointmentsHeading")
        font = QFont(heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        heading.setFont(font)
        heading.setAccessibleName(heading.text())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.setSpacing(8)
        layout.addWidget(heading)
        layout.addLayout(self._build_search_row())
        layout.addLayout(self._build_status_row())

        self._progress = QProgressBar()
        self._progress.setObjectName("myAppointmentsProgress")
        self._progress.setRange(0, 0)  # indeterminate: the server gives no count
        self._progress.setTextVisible(False)
        self._progress.setFixedHeight(3)
        self._progress.setAccessibleName("Loading appointments")
        self._progress.setStyleSheet(
            "QProgressBar { border: none; background: transparent; }"
            "QProgressBar::chunk { background: palette(highlight); }"
        )
        policy = self._progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the table does not jump when loading starts or ends
        self._progress.setSizePolicy(policy)
        self._progress.hide()
        layout.addWidget(self._progress)

        self._stack = QStackedWidget()
        self._stack.addWidget(self._build_table())
        self._stack.addWidget(self._build_state())
        layout.addWidget(self._stack, 1)

        footer = QHBoxLayout()
        self._footer = QLabel()
        self._footer.setObjectName("myAppointmentsFooter")
        zone_note = QLabel(f"Times in {fmt.zone_name(self._zone)}")
        zone_note.setObjectName("myAppointmentsZone")
        zone_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # a quiet reminder
        footer.addWidget(self._footer, 1)
        footer.addWidget(zone_note)
        layout.addLayout(footer)

    def _build_search_row(self) -> QHBoxLayout:
        self._search = QLineEdit()
        self._search.setObjectName("searchFilter")
        self._search.setPlaceholderText("Search names, case, purpose")
        self._search.setClearButtonEnabled(True)
        self._search.setMinimumWidth(180)
        set_accessible(self._search, "Search", "Search by participant name, case ID or title, or purpose")
        self._search.textChanged.connect(lambda _text: self._schedule(TYPING_DELAY_MS))

        self._case_id = QLineEdit()
        self._case_id.setObjectName("caseIdFilter")
        self._case_id.setPlaceholderText("Case ID")
        self._case_id.setClearButtonEnabled(True)
        self._case_id.setFixedWidth(self._case_id.fontMetrics().horizontalAdvance("C-000000") + 48)
        set_accessible(self._case_id, "Case ID", "Show only this case's appointments")
        self._case_id.textChanged.connect(lambda _text: self._schedule(TYPING_DELAY_MS))

        self._date_from = DateFilter("dateFromFilter", "From date")
        self._date_to = DateFilter("dateToFilter", "To date")

        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self._search, 3)
        row.addSpacing(6)
        row.addWidget(self._case_id)
        for caption, edit in (("From", self._date_from), ("To", self._date_to)):
            row.addSpacing(6)
            label = QLabel(caption)  # no mnemonic: Alt+F / Alt+T belong to the window's menus
            label.setBuddy(edit)
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance(caption) + 4)
            label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
            row.addWidget(label)
            row.addWidget(edit)
            clear = QToolButton()
            clear.setObjectName(f"{edit.objectName()}Clear")
            clear.setText("✕")
            clear.setAutoRaise(True)
            set_accessible(clear, f"Clear {edit.accessibleName()}")
            clear.setToolTip(f"Any {caption.lower()} date")
            clear.clicked.connect(edit.clear_value)
            edit.dateChanged.connect(
                lambda _d, edit=edit, clear=clear: clear.setEnabled(edit.value() is not None)
            )
            edit.dateChanged.connect(lambda _d: self._schedule(TYPING_DELAY_MS))
            clear.setEnabled(False)
            row.addWidget(clear)
        return row

    def _build_status_row(self) -> QHBoxLayout:
        self._status_box = QWidget()
        self._status_box.setObjectName("statusFilter")
        set_accessible(self._status_box, "Status filter", "Show only these statuses; none chosen shows all")
        box = QHBoxLayout(self._status_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        caption = QLabel("Status:")
        caption.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        box.addWidget(caption)
        # Chips: a chosen status is filled, so "which are on" reads at a glance; focus has its own ring.
        self._status_box.setStyleSheet(
            "QToolButton { border: 1px solid palette(mid); border-radius: 11px; padding: 3px 11px;"
            " background: palette(button); color: palette(button-text); }"
            "QToolButton:hover { border-color: palette(highlight); }"
            "QToolButton:checked { background: palette(highlight); color: palette(highlighted-text);"
            " border-color: palette(highlight); }"
            "QToolButton:focus { border: 2px solid palette(highlight); padding: 2px 10px; }"
            "QToolButton:checked:focus { border: 2px solid palette(text); }"
        )
        self._status_buttons: dict[AppointmentStatus, QToolButton] = {}
        for status in AppointmentStatus:
            button = QToolButton()
            button.setObjectName(f"statusFilter_{status.value}")
            button.setText(status.label)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            set_accessible(button, f"Show {status.label}", f"Show {status.label.lower()} appointments")
            button.toggled.connect(self._status_toggled)
            box.addWidget(button)
            self._status_buttons[status] = button

        self._clear = QPushButton("Clear filters")
        self._clear.setObjectName("clearFiltersButton")
        set_accessible(self._clear, "Clear filters")
        self._clear.clicked.connect(self.clear_filters)

        row = QHBoxLayout()
        row.addWidget(self._status_box)
        row.addStretch(1)
        row.addWidget(self._clear)
        return row

    def _build_table(self) -> QTableView:
        view = QTableView()
        view.setObjectName("myAppointmentsView")
        set_accessible(view, "Appointments", "Double-click or press Enter to open the appointment's case")
        view.setModel(self.model)
        view.setSortingEnabled(False)  # the server's order: by date
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setAlternatingRowColors(True)
        view.setShowGrid(False)
        view.setWordWrap(False)
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        view.setTabKeyNavigation(False)  # Tab leaves the table; arrows move between rows
        view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        rows = view.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(view.fontMetrics().height() + 12)

        columns = view.horizontalHeader()
        columns.setSectionsClickable(False)
        columns.setHighlightSections(False)
        columns.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        columns.setMinimumSectionSize(60)
        bold = QFont(view.font())
        bold.setBold(True)  # rows awaiting the user are bold: widths fit the bold text
        metrics = QFontMetrics(bold)
        pad = 24

        def fixed(column: int, sample: str) -> None:
            columns.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            columns.resizeSection(column, metrics.horizontalAdvance(sample) + pad)

        m = MyAppointmentsModel
        fixed(m.COL_CASE, "C-00000")
        columns.setSectionResizeMode(m.COL_PARTICIPANT, QHeaderView.ResizeMode.Stretch)
        columns.setSectionResizeMode(m.COL_WHEN, QHeaderView.ResizeMode.Stretch)
        fixed(m.COL_STATUS, "Pending — awaiting Paul Provider")
        fixed(m.COL_TYPE, "Requester")
        # Date & Time shares the spare width with Participant, but never gets less than its text.
        self._when_width = metrics.horizontalAdvance("Wed 30 Sep 2026, 23:59") + pad
        columns.installEventFilter(self)
        columns.sectionResized.connect(self._fit_columns)
        view.doubleClicked.connect(self._open)
        view.installEventFilter(self)
        self._view = view
        return view

    def _build_state(self) -> QWidget:
        page = QFrame()  # where the table was, framed like it: the layout does not jump
        page.setObjectName("myAppointmentsState")
        page.setStyleSheet(
            "#myAppointmentsState { background: palette(base); border: 1px solid palette(mid); }"
        )
        self._state_label = QLabel()
        self._state_label.setObjectName("myAppointmentsStateText")
        self._state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._state_label.setWordWrap(True)
        self._state_button = QPushButton()
        self._state_button.setObjectName("myAppointmentsStateButton")
        self._state_button.clicked.connect(self._state_action)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(self._state_label)
        layout.addWidget(self._state_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        return page

    # --- public -----------------------------------------------------------------------------------
    @property
    def view(self) -> QTableView:
        return self._view

    def current_filters(self) -> AppointmentFilters:
        statuses = frozenset(s for s, button in self._status_buttons.items() if button.isChecked())
        return AppointmentFilters(
            statuses=statuses,
            case_id=self._case_id.text().strip() or None,
            date_from=self._date_from.value(),
            date_to=self._date_to.value(),
            text=self._search.text().strip() or None,
        )

    def current_appointment(self) -> Appointment | None:
        index = self._view.currentIndex()
        if not index.isValid() or not self._view.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        value = index.siblingAtColumn(0).data(ObjectRole)
        return value if isinstance(value, Appointment) else None

    async def refresh(self) -> None:
        """Load the first page again with the current filters (F5).

        A failure goes to the sink (the window's banner) and the rows already shown stay.
        """
        self._started = True
        self._debounce.stop()
        self._refreshes += 1
        mine = self._refreshes
        filters = self._requested = self.current_filters()
        self.model.set_source(self._fetch_for(filters))
        selected = self.current_appointment()
        async with working(self._sink, doing="loading appointments"):
            try:
                await self.model.reload()
            except ApiError as exc:
                if mine != self._refreshes:
                    return  # a newer refresh is on its way; its outcome is what counts
                self._failed = True
                self._failure = exc.user_message
                self._update_state()
                raise
            if mine == self._refreshes:
                self._failed = False
                self._shown = filters
                self._reselect(selected)
                self._update_state()

    def refresh_requested(self) -> None:
        """``refresh()`` as a plain slot for a signal (a Refresh action, a shortcut): starts it, returns."""
        self._spawn(self.refresh())

    def clear_filters(self) -> None:
        """Back to every appointment, with one reload."""
        controls: list[QWidget] = [self._search, self._case_id, self._date_from, self._date_to]
        controls += self._status_buttons.values()
        for control in controls:
            control.blockSignals(True)
        try:
            self._search.clear()
            self._case_id.clear()
            self._date_from.clear_value()
            self._date_to.clear_value()
            for button in self._status_buttons.values():
                button.setChecked(False)
        finally:
            for control in controls:
                control.blockSignals(False)
        for edit in (self._date_from, self._date_to):
            edit.dateChanged.emit(edit.date())  # their clear buttons follow; the reload is scheduled
        self._schedule(0)

    def set_statuses(self, statuses: set[AppointmentStatus] | frozenset[AppointmentStatus]) -> None:
        for status, button in self._status_buttons.items():
            button.setChecked(status in statuses)

    # --- events -----------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._started:
            self._started = True
            self.refresh_requested()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._view.horizontalHeader() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        elif watched is self._view and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._view.currentIndex().isValid():
                self._open(self._view.currentIndex())
                return True
        return super().eventFilter(watched, event)

    # --- slots ------------------------------------------------------------------------------------
    def _status_toggled(self, _checked: bool) -> None:
        self._schedule(0)  # a click is a decision: no need to wait for more typing

    def _schedule(self, delay_ms: int) -> None:
        self._clear.setEnabled(not self.current_filters().is_empty)
        # One timer, restarted: a burst of changes (typing, Clear filters) becomes one reload.
        self._debounce.start(delay_ms)

    def _apply_filters(self) -> None:
        if self.current_filters() == self._requested and not self._failed:
            return  # e.g. a letter typed and deleted again
        self._spawn(self.refresh())

    def _open(self, index: QModelIndex) -> None:
        appointment = index.siblingAtColumn(0).data(ObjectRole) if index.isValid() else None
        if isinstance(appointment, Appointment):
            self.openCase.emit(appointment.case_id, appointment.id)

    def _mark_unread(self) -> None:
        inbox = self._inbox
        if inbox is not None:
            self.model.set_bold_rule(lambda a: inbox.is_unread(a.id))

    def _appointment_changed(self, appointment: object) -> None:
        # In place; a new one appears at its place when the filters on screen would list it.
        if not isinstance(appointment, Appointment) or self.model.update_row(appointment):
            return
        if self.model.has_loaded and self._shown.matches(appointment, self._zone):
            self.model.insert_sorted(appointment, by_start)

    def _page_failed(self, exc: object) -> None:
        # A later page (scrolling) failed: the rows so far stay; scrolling again retries.
        if isinstance(exc, BaseException):
            self._sink.report(exc, "loading more appointments")
        self._update_state()

    def _loading_changed(self, loading: bool) -> None:
        self._progress.setVisible(loading)
        self._update_state()

    def _state_action(self) -> None:
        if self._failed:
            self.refresh_requested()
        else:
            self.clear_filters()

    # --- helpers ----------------------------------------------------------------------------------
    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` on the loop as qasync's ``asyncSlot`` would (typed, and the task is kept).

        ``refresh`` reports its own failures; anything still escaping is a bug and reaches sys.excepthook.
        """
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            sys.excepthook(type(exc), exc, exc.__traceback__)

    def _fit_columns(self, *_args: object) -> None:
        header = self._view.horizontalHeader()
        m = MyAppointmentsModel
        others = sum(header.sectionSize(c) for c in (m.COL_CASE, m.COL_STATUS, m.COL_TYPE))
        share = (header.width() - others) // 2
        mode = QHeaderView.ResizeMode.Stretch if share >= self._when_width else QHeaderView.ResizeMode.Fixed
        if header.sectionResizeMode(m.COL_WHEN) is not mode:
            header.setSectionResizeMode(m.COL_WHEN, mode)
            if mode is QHeaderView.ResizeMode.Fixed:
                header.resizeSection(m.COL_WHEN, self._when_width)

    def _fetch_for(self, filters: AppointmentFilters) -> Fetch[Appointment]:
        session, zone = self._session, self._zone
        start = _day_start(filters.date_from, zone) if filters.date_from else None
        end = _day_start(filters.date_to + timedelta(days=1), zone) if filters.date_to else None

        async def fetch(cursor: str | None) -> Page[Appointment]:
            return await session.appointments(
                cursor,
                statuses=sorted(filters.statuses),
                case_id=filters.case_id,
                date_from=start,
                date_to=end,
                text=filters.text,
            )

        return fetch

    def _reselect(self, appointment: Appointment | None) -> None:
        if appointment is None:
            return
        row = self.model.position_of(appointment.id)
        if row is not None:
            self._view.selectRow(row)

    def _update_state(self) -> None:
        rows = self.model.rowCount()
        self._clear.setEnabled(not self.current_filters().is_empty)
        if rows:
            self._stack.setCurrentIndex(0)
            if self._failed:
                footer = f"Showing {rows} loaded earlier — could not reload; press F5 to try again"
            elif self.model.more_available:
                footer = f"Showing {rows} of many — scroll for more"
            else:
                footer = f"{rows} appointment{'' if rows == 1 else 's'}"
            self._footer.setText(footer)
            return
        self._footer.setText("")
        if self._failed and not self.model.loading:
            self._show_state(f"{LOAD_FAILED}\n{self._failure}".strip(), "Try again")
        elif self.model.has_loaded:
            empty = self._shown.is_empty
            self._show_state(NO_APPOINTMENTS if empty else NO_MATCHES, None if empty else "Clear filters")
        else:
            self._show_state(LOADING, None)

    def _show_state(self, text: str, action: str | None) -> None:
        self._state_label.setText(text)
        self._state_label.setAccessibleName(text)
        self._state_button.setVisible(action is not None)
        if action is not None:
            self._state_button.setText(action)
            self._state_button.setAccessibleName(action)
        had_focus = self._view.hasFocus()
        self._stack.setCurrentIndex(1)
        if had_focus and action is not None:
            self._state_button.setFocus()


def _day_start(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


__all__ = ["AppointmentFilters", "DateFilter", "MyAppointmentsPage"]
