"""Settings: which server to use, and after how many idle minutes the window locks."""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from apptdesk.desktop.config import ClientConfig
from apptdesk.views.dialogs.common import ErrorLabel, button_box, chain_focus, push_button

LOCAL = "&This computer (local server)"
REMOTE = "Server &at:"
URL_EXAMPLE = "https://appointments.example.org"
IDLE_MIN, IDLE_MAX = 1, 240


def url_problem(text: str) -> str | None:
    """Why ``text`` is not a usable server address, in plain words; None if it is."""
    text = text.strip()
    if not text:
        return f"Enter the server's address, for example {URL_EXAMPLE}."
    if "://" not in text:
        return f"Start the address with https:// (or http://), for example {URL_EXAMPLE}."
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return "The address is not valid. Check the port number after the colon."
    if parts.scheme.lower() not in ("http", "https"):
        return f"The address must start with https:// or http://, for example {URL_EXAMPLE}."
    if not parts.hostname:
        return f"The address needs a server name after {parts.scheme}://, for example {URL_EXAMPLE}."
    if parts.username or parts.password:
        return "Leave the user name and password out of the address; you sign in separately."
    if any(c.isspace() for c in text):
        return "The address cannot contain spaces."
    return None


def normalized_url(text: str) -> str:
    return text.strip().rstrip("/")


class SettingsDialog(QDialog):
    """Edits ``config`` in place on Save (then accepts); the caller saves it and reconnects.

    Cancel or Escape leaves ``config`` untouched.
    """

    def __init__(self, config: ClientConfig, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self.setModal(True)
        self.config = config

        server = QGroupBox("Server")
        self.local_radio = QRadioButton(LOCAL)
        self.local_radio.setObjectName("localServerRadio")
        self.local_radio.setAccessibleName("Use the local server on this computer")
        self.remote_radio = QRadioButton(REMOTE)
        self.remote_radio.setObjectName("remoteServerRadio")
        self.remote_radio.setAccessibleName("Use the server at this address")
        group = QButtonGroup(self)
        group.addButton(self.local_radio)
        group.addButton(self.remote_radio)
        self.url_edit = QLineEdit(config.server_url or "")
        self.url_edit.setObjectName("serverUrlEdit")
        self.url_edit.setAccessibleName("Server address")
        self.url_edit.setPlaceholderText(URL_EXAMPLE)
        self.url_edit.setMinimumWidth(300)
        self.url_edit.setInputMethodHints(Qt.InputMethodHint.ImhUrlCharactersOnly)
        grid = QGridLayout(server)
        grid.addWidget(self.local_radio, 0, 0, 1, 2)
        grid.addWidget(self.remote_radio, 1, 0)
        grid.addWidget(self.url_edit, 1, 1)
        grid.setColumnStretch(1, 1)
        self.restart_note = QLabel("A change of server takes effect the next time apptdesk starts.")
        self.restart_note.setObjectName("serverNote")
        self.restart_note.setWordWrap(True)
        grid.addWidget(self.restart_note, 2, 0, 1, 2)

        security = QGroupBox("Security")
        self.idle_spin = QSpinBox()
        self.idle_spin.setObjectName("idleLockSpin")
        self.idle_spin.setAccessibleName("Lock after this many minutes idle")
        self.idle_spin.setRange(IDLE_MIN, IDLE_MAX)
        self.idle_spin.setValue(min(max(config.idle_lock_minutes, IDLE_MIN), IDLE_MAX))
        before = QLabel("&Lock after")
        before.setBuddy(self.idle_spin)
        after = QLabel("minutes idle")
        row = QHBoxLayout(security)
        row.addWidget(before)
        row.addWidget(self.idle_spin)
        row.addWidget(after)
        row.addStretch(1)

        self.error_label = ErrorLabel(parent=self)
        self.save_button = push_button("&Save", "saveSettingsButton", "Save settings")
        self.cancel_button = push_button("Cancel", "cancelSettingsButton")

        layout = QVBoxLayout(self)
        layout.addWidget(server)
        layout.addWidget(security)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addWidget(button_box([self.save_button], self.cancel_button))
        self.save_button.setDefault(True)  # only once inside the dialog does Qt register it
        chain_focus(
            self.local_radio,
            self.remote_radio,
            self.url_edit,
            self.idle_spin,
            self.save_button,
            self.cancel_button,
        )
        self.setMinimumWidth(520)

        (self.local_radio if config.server_url is None else self.remote_radio).setChecked(True)
        self._mode_changed()
        self.remote_radio.toggled.connect(self._mode_changed)
        self.url_edit.textEdited.connect(lambda _text: self.error_label.clear_message())
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)

    def _mode_changed(self) -> None:
        remote = self.remote_radio.isChecked()
        self.url_edit.setEnabled(remote)
        self.error_label.clear_message()
        if remote and self.isVisible():
            self.url_edit.setFocus()

    def save(self) -> None:
        url: str | None = None
        if self.remote_radio.isChecked():
            problem = url_problem(self.url_edit.text())
            if problem:
                self.error_label.show_message(problem)
                self.url_edit.setFocus()
                return
            url = normalized_url(self.url_edit.text())
        self.config.server_url = url
        self.config.idle_lock_minutes = self.idle_spin.value()
        self.accept()
