"""The filter bar's pieces: what it asks the server for, and a date field that can mean "any date"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo

from PySide6.QtCore import QDate, QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QApplication,
    QCalendarWidget,
    QDateEdit,
    QStyle,
    QStyleOptionComboBox,
    QWidget,
)

from apptdesk.api import Appointment
from apptdesk.domain import AppointmentStatus


@dataclass(frozen=True)
class AppointmentFilters:
    """What the filter bar asks for; the empty value means everything."""

    statuses: frozenset[AppointmentStatus] = frozenset()
    case_id: str | None = None
    date_from: date | None = None  # whole days in the page's time zone, both inclusive
    date_to: date | None = None
    text: str | None = None

    @property
    def is_empty(self) -> bool:
        return self == AppointmentFilters()

    def matches(self, appointment: Appointment, zone: tzinfo) -> bool:
        """Whether the server would list ``appointment`` under these filters (the text test is a close
        approximation: it cannot see the case title, so a miss only means the next refresh shows it)."""
        if self.statuses and appointment.status not in self.statuses:
            return False
        if self.case_id and appointment.case_id != self.case_id:
            return False
        day = appointment.start.astimezone(zone).date()
        if (self.date_from and day < self.date_from) or (self.date_to and day > self.date_to):
            return False
        if self.text:
            needle = self.text.lower()
            fields = (appointment.case_id, appointment.requester.name, appointment.provider.name)
            return any(needle in field.lower() for field in (*fields, appointment.purpose or ""))
        return True


class DateFilter(QDateEdit):
    """A date with an "Any" state (no bound): the minimum date, shown as "Any".

    Up/Down or the calendar (F4, Alt+Down) from "Any" start at today; Delete goes back to "Any".
    """

    ANY = QDate(2000, 1, 1)

    def __init__(self, object_name: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setCalendarPopup(True)
        self.setDateRange(self.ANY, QDate(2099, 12, 31))
        self.setSpecialValueText("Any")
        self.setDisplayFormat("dd MMM yyyy")
        self.setDate(self.ANY)
        self.setAccessibleName(name)
        self.setToolTip(f"{name}: pick a day (F4 opens the calendar); Delete means any date")
        self.calendarWidget().installEventFilter(self)

    def value(self) -> date | None:
        chosen = self.date()
        return None if chosen == self.ANY else date(chosen.year(), chosen.month(), chosen.day())

    def set_value(self, value: date | None) -> None:
        self.setDate(self.ANY if value is None else QDate(value.year, value.month, value.day))

    def clear_value(self) -> None:
        self.setDate(self.ANY)

    def stepBy(self, steps: int) -> None:
        if self.date() == self.ANY:
            self.setDate(QDate.currentDate())  # not a step into the year 2000
            return
        super().stepBy(steps)

    def open_calendar(self) -> None:
        """Open the calendar popup, as a click on the arrow does (QDateEdit has no key of its own for it)."""
        option = QStyleOptionComboBox()
        option.initFrom(self)
        option.editable = True
        option.frame = True
        option.subControls = QStyle.SubControl.SC_All
        arrow = self.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxArrow, self
        )
        at = QPointF(arrow.center())
        press = QMouseEvent(
            QEvent.Type.MouseButtonPress,
            at,
            self.mapToGlobal(at),
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(self, press)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, alt = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if key == Qt.Key.Key_Delete:
            self.clear_value()
        elif key == Qt.Key.Key_F4 or (alt and key == Qt.Key.Key_Down):
            self.open_calendar()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Opening the calendar on "Any" shows (and highlights) today, not January 2000. Without the
        # calendar's signals, so closing it with Escape still leaves "Any".
        if (
            isinstance(watched, QCalendarWidget)
            and event.type() == QEvent.Type.Show
            and self.date() == self.ANY
        ):
            today = QDate.currentDate()
            blocked = watched.blockSignals(True)
            watched.setSelectedDate(today)
            watched.setCurrentPage(today.year(), today.month())
            watched.blockSignals(blocked)
        return super().eventFilter(watched, event)
