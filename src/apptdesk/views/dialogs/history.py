"""An appointment's history: loaded after the dialog opens, shown as a table of who did what when."""

from __future__ import annotations

import asyncio
from datetime import tzinfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from apptdesk.api import ApiError, Appointment
from apptdesk.models import formatting as fmt
from apptdesk.models.history import HistoryModel
from apptdesk.models.session import AppSession
from apptdesk.views.dialogs.common import ErrorLabel, button_box, heading, push_button, zone_note
from apptdesk.views.tasks import async_slot

LOADING = "Loading…"
EMPTY = "There is no history for this appointment yet."


class HistoryDialog(QDialog):
    """Starts loading when first shown; ``model`` (a ``HistoryModel``) holds the entries, ``loaded`` is
    set once they arrived. A failure is shown inline with a Try Again button."""

    def __init__(
        self, session: AppSession, appointment: Appointment, zone: tzinfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("historyDialog")
        self.setWindowTitle("Appointment History")
        self.session = session
        self.appointment = appointment
        self.zone = zone
        self.loaded = False
        self._task: asyncio.Task[None] | None = None

        self.heading = heading(
            f"{appointment.case_id}: {fmt.time_range(appointment, zone)} with "
            f"{fmt.participant(appointment, session.user)}",
            "historyHeading",
        )
        self.zone_label = QLabel(zone_note(zone, appointment.start))
        self.zone_label.setObjectName("zoneLabel")
        self.status_label = QLabel(LOADING)
        self.status_label.setObjectName("historyStatus")
        self.model = HistoryModel(zone, self)
        self.table = QTableView()
        self.table.setObjectName("historyTable")
        self.table.setAccessibleName("Appointment history")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table for the buttons
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(HistoryModel.COL_WHAT, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.error_label = ErrorLabel(parent=self)

        self.retry_button = push_button("&Try Again", "retryButton", "Try loading the history again")
        self.close_button = push_button("Close", "closeButton")

        # The table, or in its place (same size) the state of loading: the dialog does not jump.
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.status_label)
        self.pages.addWidget(self.table)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.zone_label)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.error_label)
        box = button_box([self.retry_button], self.close_button)
        layout.addWidget(box)
        self.retry_button.hide()  # after joining the box, which shows its buttons
        self.close_button.setDefault(True)  # only once inside the dialog does Qt register it
        self.retry_button.clicked.connect(self.load)
        self.close_button.clicked.connect(self.reject)
        self.resize(920, 380)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._task is None:
            self.load()

    def load(self) -> None:
        """Start loading (again), unless a load is under way."""
        if self._task is None or self._task.done():
            self._task = self.reload()

    def done(self, result: int) -> None:
        # Closed while loading: stop waiting, nothing will touch the dialog afterwards.
        if self._task is not None and not self._task.done():
            self._task.cancel()
        super().done(result)

    @async_slot()
    async def reload(self) -> None:
        self.error_label.clear_message()
        self.retry_button.hide()
        self.status_label.setText(LOADING)
        self.pages.setCurrentWidget(self.status_label)
        try:
            entries = await self.session.history(self.appointment)
        except ApiError as exc:
            self.status_label.setText("")
            self.error_label.show_message(f"The history could not be loaded. {exc.user_message}")
            self.retry_button.show()
            self.retry_button.setFocus()
            return
        self.model.set_rows(entries)
        self.loaded = True
        if entries:
            self.pages.setCurrentWidget(self.table)
            self.table.resizeRowsToContents()
            self.table.setFocus()
        else:
            self.status_label.setText(EMPTY)
