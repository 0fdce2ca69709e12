"""The top bar: who is signed in, the unread badge, Settings and Sign out."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from apptdesk.api import User
from apptdesk.models import formatting as fmt
from apptdesk.models.unread import UnreadCounter
from apptdesk.views.badge import UnreadBadge


class TopBar(QWidget):
    settingsClicked = Signal()
    signOutClicked = Signal()
    notificationsClicked = Signal()

    def __init__(self, counter: UnreadCounter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("topBar")
        title = QLabel("<b>apptdesk</b>")
        title.setAccessibleName("apptdesk")
        self.user_label = QLabel("Not signed in")
        self.user_label.setObjectName("userLabel")
        self.badge = UnreadBadge(counter)
        self.badge.clicked.connect(self.notificationsClicked)
        self.settings_button = QPushButton("Settings")
        self.settings_button.setObjectName("settingsButton")
        self.settings_button.setAccessibleName("Settings")
        self.settings_button.clicked.connect(self.settingsClicked)
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.setObjectName("signOutButton")
        self.sign_out_button.setAccessibleName("Sign out")
        self.sign_out_button.clicked.connect(self.signOutClicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(title)
        layout.addStretch(1)
        layout.addWidget(self.user_label)
        layout.addWidget(self.badge)
        layout.addSpacing(8)
        layout.addWidget(self.settings_button)
        layout.addWidget(self.sign_out_button)

    def set_user(self, user: User | None) -> None:
        # Administrators get no notifications: no badge for them (nor before sign-in).
        self.badge.setVisible(user is not None and not user.is_admin)
        if user is None:
            self.user_label.setText("Not signed in")
            self.sign_out_button.setEnabled(False)
            return
        self.user_label.setText(f"{user.name} · {fmt.role_label(user.role)}")
        self.user_label.setAccessibleName(f"Signed in as {user.name}, {fmt.role_label(user.role)}")
        self.sign_out_button.setEnabled(True)
