"""Pieces the appointment dialogs share, so they look and behave alike.

- ``DateTimeField``: a date-and-time editor whose wall-clock value belongs to a given time zone (not the
  computer's), with a label naming that zone, converting to and from aware datetimes.
- ``DurationSpin``, ``LimitedTextEdit`` (a multi-line field with a remaining-characters count) and its
  ``ReasonEdit`` flavour, ``ErrorLabel`` (an inline message in a red that reads on light and dark).
- ``ActionDialog``: the base of every dialog that changes an appointment. ``submit`` runs the call with
  the controls disabled, shows an ``ApiError`` inline (keeping everything typed), and when someone else
  acted first (409/412, or 403 once the version moved on) reloads the appointment so every table shows
  it as it is now.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo

from PySide6.QtCore import QDate, QDateTime, QEvent, Qt, QTime, QTimeZone, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from apptdesk.api import ApiError, Appointment, Conflict, Forbidden, PreconditionFailed, ValidationFailed
from apptdesk.domain import Limits
from apptdesk.models import formatting as fmt
from apptdesk.models.session import AppSession
from apptdesk.views.tasks import busy

__all__ = [
    "ActionDialog",
    "DateTimeField",
    "DurationSpin",
    "ErrorLabel",
    "LimitedTextEdit",
    "ReasonEdit",
    "button_box",
    "chain_focus",
    "default_start",
    "error_color",
    "heading",
    "push_button",
    "value_label",
    "zone_note",
]

# Reds with enough contrast on a light window (#b3261e on white: 6.5:1) and a dark one (#ff8a80 on #2b2b2b:
# 6.2:1). Which one applies follows the palette, so a dark system theme gets the light red.
_RED_ON_LIGHT = QColor("#b3261e")
_RED_ON_DARK = QColor("#ff8a80")


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def error_color(palette: QPalette) -> QColor:
    return _RED_ON_DARK if is_dark(palette) else _RED_ON_LIGHT


def _tint(widget: QWidget, color: QColor | None) -> None:
    """Colour ``widget``'s text; None: inherit the palette again (so it follows a change of theme)."""
    if color is None:
        widget.setPalette(QPalette())  # an empty palette resolves every role from the parent
        return
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.WindowText, color)  # only this role is set; the rest inherit
    widget.setPalette(palette)


def heading(text: str, object_name: str = "") -> QLabel:
    """A bold, slightly larger label at the top of a dialog."""
    label = QLabel(text)
    label.setWordWrap(True)
    font = QFont(label.font())
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.15)
    label.setFont(font)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if object_name:
        label.setObjectName(object_name)
    return label


def value_label(text: str, object_name: str = "", accessible_name: str = "") -> QLabel:
    """A read-only one-line value in a form: plain text, selectable with the mouse.

    Not word-wrapped: a wrapped label in a form row gets a height guessed for another width (clipped
    or gapped lines). Shorten long values with ``fmt.first_line`` and put the whole text in a tooltip.
    """
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if object_name:
        label.setObjectName(object_name)
    if accessible_name:
        label.setAccessibleName(accessible_name)
    return label


def push_button(text: str, object_name: str, accessible_name: str = "") -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(object_name)
    button.setAccessibleName(accessible_name or text.replace("&", ""))
    return button


def button_box(
    primary: Sequence[QPushButton] = (),
    dismiss: QPushButton | None = None,
    destructive: Sequence[QPushButton] = (),
) -> QDialogButtonBox:
    """The dialog's buttons, placed as the platform orders them; clicks are wired by the caller."""
    box = QDialogButtonBox()
    for button in primary:
        box.addButton(button, QDialogButtonBox.ButtonRole.AcceptRole)
    for button in destructive:
        box.addButton(button, QDialogButtonBox.ButtonRole.DestructiveRole)
    if dismiss is not None:
        box.addButton(dismiss, QDialogButtonBox.ButtonRole.RejectRole)
    return box


def chain_focus(*widgets: QWidget) -> None:
    """Tab moves through ``widgets`` in this order."""
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)


def zone_note(zone: tzinfo, at: datetime | None = None) -> str:
    return f"Times are in {fmt.zone_name(zone, at)}"


def default_start(zone: tzinfo, now: datetime | None = None) -> datetime:
    """The next full hour, tomorrow, in ``zone``."""
    moment = (now or datetime.now(UTC)).astimezone(zone) + timedelta(days=1)
    return moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


# --- inputs ------------------------------------------------------------------------------------------


class ErrorLabel(QLabel):
    """An inline message, hidden until there is one; red in a shade that reads on the current palette."""

    def __init__(self, object_name: str = "errorLabel", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setAccessibleName("Error")
        self._restyling = False
        self._restyle()
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setAccessibleDescription(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.show_message("")

    def message(self) -> str:
        return "" if self.isHidden() else self.text()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        restyle = (QEvent.Type.PaletteChange, QEvent.Type.ParentChange, QEvent.Type.ApplicationPaletteChange)
        if event.type() in restyle and not self._restyling:
            self._restyle()

    def _restyle(self) -> None:
        self._restyling = True
        try:
            parent = self.parentWidget()
            _tint(self, error_color(parent.palette() if parent is not None else self.palette()))
        finally:
            self._restyling = False


class DurationSpin(QSpinBox):
    """Minutes, 5–480 in steps of 5, 30 by default."""

    def __init__(self, value: int = Limits.DURATION_DEFAULT_MINUTES, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("durationSpin")
        self.setAccessibleName("Duration in minutes")
        self.setRange(Limits.DURATION_MIN_MINUTES, Limits.DURATION_MAX_MINUTES)
        self.setSingleStep(5)
        self.setSuffix(" min")
        self.setValue(value)
        self.setAccelerated(True)


def qt_time_zone(zone: tzinfo) -> QTimeZone:
    """Qt's form of ``zone``: by IANA name when it has one, else its current fixed offset."""
    key = getattr(zone, "key", None)
    if key:
        named = QTimeZone(key.encode())
        if named.isValid():
            return named
    offset = datetime.now(zone).utcoffset()
    return QTimeZone(int(offset.total_seconds())) if offset else QTimeZone.utc()


class DateTimeField(QWidget):
    """A date and time in ``zone``: the editor shows wall-clock time there, whatever the computer's zone.

    The editor (``edit``, objectName ``startEdit``) carries ``zone`` itself, so what it holds is a real
    instant: a tool that sets it with any QDateTime (in any zone) gets that moment shown in ``zone``.
    """

    changed = Signal()
    DISPLAY_FORMAT = "ddd dd MMM yyyy, HH:mm"

    def __init__(
        self,
        zone: tzinfo,
        *,
        object_name: str = "startEdit",
        accessible_name: str = "Start date and time",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.zone = zone
        self.qt_zone = qt_time_zone(zone)
        self.edit = QDateTimeEdit(self)
        self.edit.setObjectName(object_name)
        self.edit.setAccessibleName(accessible_name)
        self.edit.setTimeZone(self.qt_zone)
        self.edit.setCalendarPopup(True)
        self.edit.setDisplayFormat(self.DISPLAY_FORMAT)
        self.zone_label = QLabel(self)
        self.zone_label.setObjectName("zoneLabel")
        self.zone_label.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.zone_label)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setFocusProxy(self.edit)
        self.edit.dateTimeChanged.connect(self._changed)
        self._changed()

    def qt_wall(self, wall: datetime) -> QDateTime:
        """The QDateTime for a wall-clock time in ``zone`` (naive or not: only the fields count)."""
        return QDateTime(QDate(wall.year, wall.month, wall.day), QTime(wall.hour, wall.minute), self.qt_zone)

    def wall(self) -> datetime:
        """The wall-clock time shown, naive."""
        shown = self.edit.dateTime().toTimeZone(self.qt_zone)
        day, time = shown.date(), shown.time()
        return datetime(day.year(), day.month(), day.day(), time.hour(), time.minute())

    def value(self) -> datetime:
        """The time shown, as an aware datetime in ``zone``."""
        return self.wall().replace(tzinfo=self.zone)

    def set_value(self, moment: datetime) -> None:
        self.edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(moment.timestamp()), self.qt_zone))

    def exists(self) -> bool:
        """False for a wall time skipped when the clocks go forward in ``zone``."""
        return self.value().astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) == self.wall()

    def problem(self, now: datetime | None = None) -> str | None:
        """Why the time shown cannot be proposed, in plain words; None if it can."""
        now = now or datetime.now(UTC)
        wall = self.wall()
        if not self.exists():
            zone = fmt.zone_name(self.zone, self.value())
            return (
                f"{wall:%H:%M} on {wall:%a %d %b %Y} does not exist in {zone} because the clocks go forward"
                " then. Please choose another time."
            )
        start = self.value()
        if start <= now:
            return "The start time is in the past. Please choose a time in the future."
        if start > now + Limits.MAX_LEAD:
            return "An appointment can be proposed at most two years ahead. Please choose an earlier date."
        return None

    def _changed(self) -> None:
        # The zone's abbreviation follows the chosen date: CET in winter, CEST in summer.
        note = zone_note(self.zone, self.value() if self.exists() else None)
        self.zone_label.setText(note)
        self.edit.setAccessibleDescription(note)
        self.changed.emit()


class LimitedTextEdit(QWidget):
    """A multi-line text field with a count of the characters left; over the limit the count turns red.

    Nothing typed or pasted is cut off: ``within_limit()`` says whether it may be sent, and
    ``limitChanged(bool)`` tells the dialog to enable or disable sending.
    """

    textChanged = Signal()
    limitChanged = Signal(bool)  # within the limit

    def __init__(
        self,
        limit: int,
        *,
        object_name: str,
        accessible_name: str,
        placeholder: str,
        text: str = "",
        lines: int = 4,
        grow: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.limit = limit
        self.edit = QPlainTextEdit(self)
        self.edit.setObjectName(object_name)
        self.edit.setAccessibleName(accessible_name)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setTabChangesFocus(True)  # Tab leaves the field: keyboard users can move on
        self.edit.setPlainText(text)
        height = self.edit.fontMetrics().lineSpacing() * lines + 12
        self.edit.setMinimumHeight(height)
        if not grow:
            self.edit.setMaximumHeight(height)
        self.counter = QLabel(self)
        self.counter.setObjectName(f"{object_name}Counter")
        self.counter.setTextFormat(Qt.TextFormat.PlainText)
        self.counter.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.counter)
        self.setFocusProxy(self.edit)
        self._within = True
        self.edit.textChanged.connect(self._update)
        self._update()

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    def remaining(self) -> int:
        return self.limit - len(self.text())

    def within_limit(self) -> bool:
        return self.remaining() >= 0

    def _update(self) -> None:
        left = self.remaining()
        if left >= 0:
            self.counter.setText(f"{left} character{'' if left == 1 else 's'} left")
        else:
            over = -left
            self.counter.setText(f"{over} character{'' if over == 1 else 's'} too many: please shorten it")
        self.edit.setAccessibleDescription(self.counter.text())
        _tint(self.counter, None if left >= 0 else error_color(self.palette()))
        if (left >= 0) != self._within:
            self._within = left >= 0
            self.limitChanged.emit(self._within)
        self.textChanged.emit()


class ReasonEdit(LimitedTextEdit):
    """An optional reason (for rejecting or canceling), at most 500 characters."""

    def __init__(
        self,
        *,
        placeholder: str = "Reason (optional)",
        accessible_name: str = "Reason (optional)",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            Limits.REASON_MAX_CHARS,
            object_name="reasonEdit",
            accessible_name=accessible_name,
            placeholder=placeholder,
            lines=4,
            grow=False,
            parent=parent,
        )

    def reason(self) -> str | None:
        return self.text().strip() or None


# --- the dialog base ---------------------------------------------------------------------------------


class ActionDialog(QDialog):
    """A dialog that changes one appointment (or creates one) on the server.

    On success it sets ``result_appointment``, emits ``succeeded(Appointment)`` and accepts. Subclasses
    call ``submit``; they set ``appointment`` (the version the user saw, None while creating),
    ``action_buttons`` (disabled for good once someone else changed the appointment) and ``unsent`` (what
    did not happen, for the message: "your answer was not sent").
    """

    succeeded = Signal(object)  # Appointment

    def __init__(self, session: AppSession, parent: QWidget | None, *, object_name: str, title: str) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName(object_name)
        self.setWindowTitle(title)
        self.setModal(True)
        self.result_appointment: Appointment | None = None
        self.appointment: Appointment | None = None
        self.action_buttons: list[QPushButton] = []
        self.unsent = "nothing was changed"
        self.error_label = ErrorLabel(parent=self)
        self.field_widgets: dict[str, QWidget] = {}  # server field name -> the control to focus
        self.stale = False  # someone else changed the appointment: its action buttons stay disabled
        self._sending = False

    @property
    def sending(self) -> bool:
        return self._sending

    def reject(self) -> None:
        # Escape, the window's close button and Cancel all land here; while a change is on its way the
        # dialog stays, so its outcome is shown (and nothing acts on a closed dialog).
        if not self._sending:
            super().reject()

    def enable_action(self, button: QPushButton, enabled: bool) -> None:
        """Enable ``button`` if ``enabled`` and the appointment shown is still the current one."""
        button.setEnabled(enabled and not self.stale)

    def show_error(self, message: str, focus: QWidget | None = None) -> None:
        self.error_label.show_message(message)
        if focus is not None and focus.isEnabled():
            focus.setFocus(Qt.FocusReason.OtherFocusReason)

    async def submit(
        self,
        call: Callable[[], Awaitable[Appointment]],
        controls: Iterable[QWidget | None],
        focus_after: QWidget | None = None,
    ) -> bool:
        """Run ``call`` with ``controls`` disabled; True (and the dialog accepted) if it succeeded.

        Any ``ApiError`` is shown inline and everything entered stays as it was. A 409/412 (or a 403
        while the appointment's version moved on) means someone else changed the appointment first: it
        is reloaded through the session (which announces it, so every table refreshes the row), the
        message says so plainly, and ``action_buttons`` stay disabled. Other exceptions are bugs and
        propagate.
        """
        self.error_label.clear_message()
        failure: ApiError | None = None
        result: Appointment | None = None
        fresh: Appointment | None = None
        reload_failure: ApiError | None = None
        raced = False
        self._sending = True
        try:
            async with busy(*controls):
                try:
                    result = await call()
                except ApiError as exc:
                    failure = exc
                seen = self.appointment
                if seen is not None and isinstance(failure, Conflict | PreconditionFailed | Forbidden):
                    try:
                        fresh = await self.session.appointment(seen.id)
                    except ApiError as exc:
                        reload_failure = exc
                    # 409/412 say it changed; a 403 may too (the server checks who may act before
                    # the version: after the other side reschedules, the user is no longer the proposer).
                    raced = not isinstance(failure, Forbidden) or (
                        fresh is not None and fresh.version != seen.version
                    )
        finally:
            self._sending = False

        if result is not None:
            self.result_appointment = result
            self.succeeded.emit(result)
            self.accept()
            return True
        assert failure is not None
        if raced:
            self.stale = True
            for button in self.action_buttons:
                button.setEnabled(False)
            seen = self.appointment
            if fresh is not None:
                self.appointment = fresh
                self.show_current(fresh)
            self.show_error(self._race_message(seen, fresh, reload_failure))
            return False
        self.show_error(failure.user_message, self._focus_for(failure) or focus_after)
        return False

    def show_current(self, appointment: Appointment) -> None:
        """Show ``appointment`` as it is now (after someone else changed it); subclasses override."""

    def _focus_for(self, failure: ApiError) -> QWidget | None:
        if isinstance(failure, ValidationFailed):
            for name in failure.field_errors:
                if name in self.field_widgets:
                    return self.field_widgets[name]
        return None

    def _race_message(
        self, seen: Appointment | None, fresh: Appointment | None, reload_failure: ApiError | None
    ) -> str:
        message = f"Someone else changed this appointment while this window was open, so {self.unsent}."
        if fresh is None:
            if reload_failure is not None:
                return f"{message} Its latest version could not be loaded: {reload_failure.user_message}"
            return message
        if seen is None or fresh.status is not seen.status:
            state = f" It is now {fresh.status.value}."
            if fresh.reason:
                reason = fresh.reason.strip()
                state += f" Reason given: {reason}{'' if reason[-1:] in '.!?' else '.'}"
            return message + state
        return message + " Its details have changed; close this window and open it again to see them."
