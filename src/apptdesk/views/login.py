"""The sign-in dialog: server, email, password, Remember me; on the local server, the demo accounts."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from apptdesk.api import User
from apptdesk.desktop.embedded import DemoAccount
from apptdesk.models.session import AppSession
from apptdesk.views.tasks import async_slot, busy, message_for

LOCAL = "This computer (local server)"


class LoginDialog(QDialog):
    signedIn = Signal(object)  # User
    serverChanged = Signal(str)  # a remote URL typed here; the app remembers it

    def __init__(
        self,
        session: AppSession,
        *,
        local: bool,
        email: str = "",
        demo_accounts: Sequence[DemoAccount] = (),
        message: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("loginDialog")
        self.setWindowTitle("Sign in to apptdesk")
        self.setModal(True)
        self.session = session
        self.local = local
        self.user: User | None = None

        self.message = QLabel(message)
        self.message.setObjectName("loginMessage")
        self.message.setWordWrap(True)
        self.message.setVisible(bool(message))
        self.server_edit = QLineEdit(LOCAL if local else (session.server_url or ""))
        self.server_edit.setObjectName("serverEdit")
        self.server_edit.setAccessibleName("Server address")
        self.server_edit.setReadOnly(local)
        self.server_edit.setPlaceholderText("https://appointments.example.org")
        self.email_edit = QLineEdit(email)
        self.email_edit.setObjectName("emailEdit")
        self.email_edit.setAccessibleName("Email")
        self.email_edit.setPlaceholderText("you@clinic.org")
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("passwordEdit")
        self.password_edit.setAccessibleName("Password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox("Remember me on this computer")
        self.remember.setObjectName("rememberCheck")
        self.error = QLabel()
        self.error.setObjectName("loginError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d9534f;")
        self.error.hide()
        self.note = QLabel(session.note)
        self.note.setObjectName("keyringNote")
        self.note.setWordWrap(True)
        self.note.setVisible(bool(session.note))
        session.noteChanged.connect(self._show_note)
        self.login_button = QPushButton("Sign in")
        self.login_button.setObjectName("loginButton")
        self.login_button.setDefault(True)
        self.login_button.clicked.connect(self.sign_in)

        form = QFormLayout()
        form.addRow("Server", self.server_edit)
        form.addRow("Email", self.email_edit)
        form.addRow("Password", self.password_edit)
        form.addRow("", self.remember)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.note)
        layout.addWidget(self.login_button, alignment=Qt.AlignmentFlag.AlignRight)
        if local and demo_accounts:
            layout.addWidget(
                QLabel("<b>Demo accounts</b> (password <code>demo-password</code>) — double-click to use:")
            )
            self.demo_list = QListWidget()
            self.demo_list.setObjectName("demoAccounts")
            self.demo_list.setAccessibleName("Demo accounts")
            for account in demo_accounts:
                item = QListWidgetItem(f"{account.name} — {account.role} — {account.email}")
                item.setData(Qt.ItemDataRole.UserRole, account)
                self.demo_list.addItem(item)
            self.demo_list.setMaximumHeight(self.demo_list.sizeHintForRow(0) * len(demo_accounts) + 8)
            self.demo_list.itemActivated.connect(self._use_demo)
            self.demo_list.itemDoubleClicked.connect(self._use_demo)
            layout.addWidget(self.demo_list)
        self.setMinimumWidth(480)
        (self.password_edit if email else self.email_edit).setFocus()

    def _show_note(self, note: str) -> None:
        self.note.setText(note)
        self.note.setVisible(bool(note))

    def _use_demo(self, item: QListWidgetItem) -> None:
        account = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(account, DemoAccount):
            self.email_edit.setText(account.email)
            self.password_edit.setText(account.password)
            self.login_button.setFocus()

    def _fail(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    @async_slot()
    async def sign_in(self) -> None:
        email, password = self.email_edit.text().strip(), self.password_edit.text()
        if not email or not password:
            self._fail("Enter your email and password.")
            return
        if not self.local:
            url = self.server_edit.text().strip().rstrip("/")
            if not url.startswith(("http://", "https://")):
                self._fail("The server address starts with https:// (or http:// on a local network).")
                return
            if url != self.session.server_url:
                self.session.connect_to(url)
                self.serverChanged.emit(url)
        self.error.hide()
        async with busy(
            self.login_button, self.email_edit, self.password_edit, self.server_edit, self.remember
        ):
            try:
                self.user = await self.session.sign_in(email, password, self.remember.isChecked())
            except Exception as exc:  # every failure is said here, in the dialog; the input stays
                self._fail(message_for(exc))
                if not _expected(exc):
                    raise
                return
        self.password_edit.clear()
        self.signedIn.emit(self.user)
        self.accept()


def _expected(exc: Exception) -> bool:
    from apptdesk.api import ApiError

    return isinstance(exc, ApiError)
