"""The idle lock: after some minutes without input the window hides its data until the password is given."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from apptdesk.models.session import AppSession
from apptdesk.views.tasks import async_slot, busy, message_for

_INPUT_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleWatcher(QObject):
    """Fires ``idle`` once the user has not touched the app for ``minutes``."""

    idle = Signal()

    def __init__(self, minutes: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.minutes = minutes
        self.last_input = time.monotonic()
        self.enabled = False
        self._timer = QTimer(self)
        self._timer.setInterval(5_000)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS:
            self.last_input = time.monotonic()
        return False

    def check(self) -> None:
        if self.enabled and time.monotonic() - self.last_input >= self.minutes * 60:
            self.enabled = False  # once; re-armed on unlock
            self.idle.emit()

    def arm(self) -> None:
        self.last_input = time.monotonic()
        self.enabled = True


class LockPage(QWidget):
    unlocked = Signal()
    signOutRequested = Signal()

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockPage")
        self.session = session
        self.title = QLabel("<h2>apptdesk is locked</h2>")
        self.who = QLabel()
        self.password = QLineEdit()
        self.password.setObjectName("unlockPasswordEdit")
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        self.password.returnPressed.connect(self.unlock)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.clicked.connect(self.unlock)
        self.sign_out = QPushButton("Sign out instead")
        self.sign_out.clicked.connect(self.signOutRequested)
        self.error = QLabel()
        self.error.setStyleSheet("color: #d9534f;")
        self.error.hide()
        box = QVBoxLayout()
        for widget in (self.title, self.who, self.password, self.unlock_button, self.error, self.sign_out):
            box.addWidget(widget)
        self.password.setMaximumWidth(320)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(box)
        layout.setAlignment(box, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def prepare(self, minutes: float) -> None:
        user = self.session.user
        name = user.name if user else ""
        self.who.setText(
            f"Locked after {minutes:g} minutes without use. Enter the password of {name} to continue."
        )
        self.password.clear()
        self.error.hide()
        self.password.setFocus()

    @async_slot()
    async def unlock(self) -> None:
        password = self.password.text()
        if not password:
            return
        async with busy(self.password, self.unlock_button):
            try:
                await self.session.unlock(password)
            except Exception as exc:
                self.error.setText(message_for(exc))
                self.error.show()
                self.password.selectAll()
                from apptdesk.api import ApiError

                if not isinstance(exc, ApiError):
                    raise
                return
        self.password.clear()
        self.unlocked.emit()
