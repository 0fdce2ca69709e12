"""The system tray: an icon carrying the unread count, its menu, and pop-ups for new notifications.

``TrayController`` does no I/O and knows no window: it turns the unread count into the icon and tooltip,
and turns clicks into signals the application connects (open the window, mark all read, sign out, ...).

Where there is no system tray (``QSystemTrayIcon.isSystemTrayAvailable()`` is false: plain GNOME,
offscreen), the controller stays inert: ``available`` is False, no icon is created, ``show_popup`` does
nothing. The app then shows the count in the window title instead, with ``window_title``.

Pop-ups show exactly the title and body they are given; callers pass the server's notification title and
body, which name the case ID, the other party, the time and what happened, never clinical free text.
"""

from __future__ import annotations

import sys

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from apptdesk.models.unread import UnreadCounter
from apptdesk.views.tray_icon import base_icon, tray_qicon

APP_NAME = "apptdesk"
POPUP_MILLISECONDS = 10_000


def window_title(base: str, count: int) -> str:
    """The window title carrying the count where no tray does: "apptdesk — Dr. X (3 unread)"."""
    return f"{base} ({count} unread)" if count > 0 else base


def tray_tooltip(count: int, signed_in: bool = True, app_name: str = APP_NAME) -> str:
    if not signed_in:
        return f"{app_name} — not signed in"
    return f"{app_name} — {count} unread" if count > 0 else f"{app_name} — no unread"


def prefers_dark() -> bool:
    """Whether the desktop is dark: the colour scheme when the platform says, else the palette."""
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme is Qt.ColorScheme.Dark:
        return True
    if scheme is Qt.ColorScheme.Light:
        return False
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


class TrayController(QObject):
    openRequested = Signal()
    myAppointmentsRequested = Signal()
    markAllReadRequested = Signal()
    signOutRequested = Signal()
    quitRequested = Signal()
    notificationClicked = Signal(int, str)  # appointment id, case id

    def __init__(
        self,
        counter: UnreadCounter,
        *,
        signed_in: bool = False,
        app_name: str = APP_NAME,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("trayController")
        self.counter = counter
        self.app_name = app_name
        self._signed_in = signed_in
        self._last_popup: tuple[int, str] | None = None
        self._dark = prefers_dark()
        self.tray: QSystemTrayIcon | None = None
        self.menu: QMenu | None = None
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return
        self.menu = QMenu()
        self.menu.setObjectName("trayMenu")
        self.menu.setAccessibleName(f"{app_name} tray menu")
        self._build_menu(self.menu)
        self.menu.aboutToShow.connect(self._update_menu)
        self.tray = QSystemTrayIcon(self)
        self.tray.setObjectName("trayIcon")
        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self._activated)
        self.tray.messageClicked.connect(self._message_clicked)
        counter.changed.connect(self._refresh)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._appearance_changed)
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.paletteChanged.connect(self._appearance_changed)
        self._refresh()
        self.tray.show()

    # --- state ---------------------------------------------------------------------------------------
    @property
    def available(self) -> bool:
        return self.tray is not None

    @property
    def signed_in(self) -> bool:
        return self._signed_in

    def set_signed_in(self, signed_in: bool) -> None:
        """Signed in or out: enables Sign out (and My Appointments, Mark all read) in the menu."""
        self._signed_in = signed_in
        if not signed_in:
            self._last_popup = None
        self._refresh()

    @property
    def last_popup(self) -> tuple[int, str] | None:
        """(appointment id, case id) of the last pop-up not yet clicked."""
        return self._last_popup

    # --- pop-ups -------------------------------------------------------------------------------------
    def show_popup(self, title: str, body: str, appointment_id: int, case_id: str) -> bool:
        """Show a tray pop-up; clicking it emits ``notificationClicked``.

        False, showing nothing, where there is no tray or while signed out (a late event of the previous
        user must not pop up after sign-out).
        """
        if self.tray is None or not self._signed_in:
            return False
        self._last_popup = (appointment_id, case_id)
        icon = QIcon(QPixmap.fromImage(base_icon(64, self._dark)))
        self.tray.showMessage(title, body, icon, POPUP_MILLISECONDS)
        return True

    def _message_clicked(self) -> None:
        popup, self._last_popup = self._last_popup, None
        if popup is not None:
            self.notificationClicked.emit(*popup)

    # --- icon, tooltip, menu -------------------------------------------------------------------------
    def close(self) -> None:
        """Take the icon off the tray now (on quit), rather than when Qt gets round to it."""
        if self.tray is not None and shiboken6.isValid(self.tray):
            self.tray.hide()

    def _appearance_changed(self, *_args: object) -> None:
        dark = prefers_dark()
        if dark != self._dark:
            self._dark = dark
            self._refresh()

    def _refresh(self, *_args: object) -> None:
        if self.tray is None:
            return
        count = self.counter.count
        self.tray.setIcon(tray_qicon(count, self._dark))
        self.tray.setToolTip(tray_tooltip(count, self._signed_in, self.app_name))
        self._update_menu()

    def _build_menu(self, menu: QMenu) -> None:
        entries = [
            ("trayOpenAction", f"Open {self.app_name}", self.openRequested),
            ("trayMyAppointmentsAction", "My Appointments", self.myAppointmentsRequested),
            ("trayMarkAllReadAction", "Mark all read", self.markAllReadRequested),
            ("traySignOutAction", "Sign out", self.signOutRequested),
            ("trayQuitAction", "Quit", self.quitRequested),
        ]
        for name, text, signal in entries:
            if name == "traySignOutAction":
                menu.addSeparator()
            action = QAction(text, menu)
            action.setObjectName(name)
            action.triggered.connect(signal)
            menu.addAction(action)

    def _update_menu(self) -> None:
        """Brought up to date from the state of the moment: each time it opens, and on every change.

        The actions stay the same objects and only change text and state: a menu exported over D-Bus or
        shown natively on macOS must not lose actions while it is open.
        """
        if self.menu is None:
            return
        count = self.counter.count
        signed_in = self._signed_in
        states = {
            "trayOpenAction": (f"Open {self.app_name}", True),
            "trayMyAppointmentsAction": ("My Appointments", signed_in),
            "trayMarkAllReadAction": (
                f"Mark all read ({count})" if count and signed_in else "Mark all read",
                signed_in and count > 0,
            ),
            "traySignOutAction": ("Sign out", signed_in),
            "trayQuitAction": ("Quit", True),
        }
        for action in self.menu.actions():
            state = states.get(action.objectName())
            if state is not None:
                action.setText(state[0])
                action.setEnabled(state[1])

    def action(self, name: str) -> QAction | None:
        """The menu's action with that object name (``trayOpenAction``, ``trayQuitAction``, ...)."""
        if self.menu is None:
            return None
        for action in self.menu.actions():
            if action.objectName() == name:
                return action
        return None

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # A click opens the window; on macOS a click opens the menu instead, as people expect there.
        click = QSystemTrayIcon.ActivationReason.Trigger
        if reason is QSystemTrayIcon.ActivationReason.DoubleClick or (
            reason is click and sys.platform != "darwin"
        ):
            self.openRequested.emit()
