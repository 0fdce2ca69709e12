"""The main window: top bar, banners, side menu, and the page in view.

It never talks to the server itself: pages load through ``AppSession``; errors arrive at one
``ErrorSink`` and are shown in one banner (connection problems get Retry and a "may not be current" note).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from apptdesk.api import ApiError, NotFound, Notification, ServerUnavailable, Unauthorized, User
from apptdesk.api.live import LiveState, LiveStatus
from apptdesk.desktop.embedded import DemoAccount
from apptdesk.models import formatting as fmt
from apptdesk.models.inbox import Inbox
from apptdesk.models.live import LiveUpdates
from apptdesk.models.session import AppSession
from apptdesk.models.unread import UnreadCounter
from apptdesk.views.banner import Banner, Tone
from apptdesk.views.case_list import CaseListPage
from apptdesk.views.case_view import CaseView
from apptdesk.views.lock import IdleWatcher, LockPage
from apptdesk.views.login import LoginDialog
from apptdesk.views.notifications_panel import NotificationsPanel
from apptdesk.views.side_menu import Page, SideMenu
from apptdesk.views.tasks import ErrorSink, async_slot, working
from apptdesk.views.top_bar import TopBar

log = logging.getLogger(__name__)

READ_ONLY_TEXT = "Read-only oversight: you can see every case and appointment, but you cannot create, answer or change them."  # noqa: E501


class MainWindow(QMainWindow):
    settingsRequested = Signal()
    ready = Signal()  # signed in and the first data is on screen (or its failure is)
    serverChanged = Signal(str)
    closing = Signal()

    def __init__(
        self,
        session: AppSession,
        *,
        unread: UnreadCounter | None = None,
        zone: tzinfo | None = None,
        local: bool = True,
        demo_accounts: Sequence[DemoAccount] = (),
        idle_minutes: float = 15,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("apptdesk")
        self.resize(1200, 760)
        self.session = session
        self.unread = unread or UnreadCounter(self)
        self.inbox = Inbox(self.unread, zone, self)
        self.live = LiveUpdates(session, self.inbox, self)
        self.zone = zone or fmt.local_zone()
        self.local = local
        self.demo_accounts = list(demo_accounts)
        self.sink = ErrorSink(self)
        self.user: User | None = None
        self.login_dialog: LoginDialog | None = None
        self.case_view: CaseView | None = None
        self.my_appointments: QWidget | None = None
        self._last_loaded: datetime | None = None
        self.is_ready = False
        self.keep_running_in_tray: Callable[[], bool] = lambda: False  # set by the app when a tray exists

        self.top_bar = TopBar(self.unread)
        self.top_bar.notificationsClicked.connect(self.show_notifications)
        self.top_bar.settingsClicked.connect(self.settingsRequested)
        self.top_bar.signOutClicked.connect(self.sign_out)
        self.error_banner = Banner("errorBanner")
        self.read_only_banner = Banner("readOnlyBanner", closable=False)
        self.note_banner = Banner("noteBanner")
        self.side_menu = SideMenu()
        self.side_menu.pageChosen.connect(self.show_page)
        self.unread.changed.connect(self.side_menu.set_unread)

        self.stack = QStackedWidget()
        self.starting_page = _message_page("startingPage", "Starting…")
        self.signed_out_page = _message_page("signedOutPage", "Sign in to see your cases and appointments.")
        self.cases_page = CaseListPage(session, self.sink)
        self.cases_page.openCase.connect(self.open_case)
        self.lock_page = LockPage(session)
        self.lock_page.unlocked.connect(self._unlocked)
        self.lock_page.signOutRequested.connect(self.sign_out)
        for page in (self.starting_page, self.signed_out_page, self.cases_page, self.lock_page):
            self.stack.addWidget(page)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.side_menu)
        body.addWidget(self.stack, 1)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(self.top_bar)
        for banner in (self.read_only_banner, self.error_banner, self.note_banner):
            column.addWidget(banner)
        column.addLayout(body, 1)
        self.setCentralWidget(central)
        self.connection_label = QLabel()
        self.statusBar().addPermanentWidget(self.connection_label)

        self.notifications_panel = NotificationsPanel(self.zone, counter=self.unread, model=self.inbox.model)
        self.notifications_panel.setParent(self, Qt.WindowType.Popup)
        self.notifications_panel.opened.connect(self._notification_opened)
        self.notifications_panel.markAllRead.connect(self.mark_all_read)
        self.notifications_panel.closeRequested.connect(self.notifications_panel.hide)
        self.live_label = QLabel()
        self.live_label.setObjectName("liveStatus")
        self.statusBar().addPermanentWidget(self.live_label)
        self.live.stateChanged.connect(self._show_live_state)
        self.live.resyncNeeded.connect(self._resync)
        self.sink.raised.connect(self._show_error)
        session.sessionEnded.connect(self._session_ended)
        session.noteChanged.connect(self._show_note)
        self.idle = IdleWatcher(idle_minutes, self)
        self.idle.idle.connect(self.lock)

        shortcuts: list[tuple[QKeySequence, Callable[[], object]]] = [
            (QKeySequence(Qt.Key.Key_F5), self.refresh),
            (QKeySequence("Ctrl+N"), self.request_appointment),
            (QKeySequence("Ctrl+1"), lambda: self.show_page(Page.CASES)),
            (QKeySequence("Ctrl+2"), lambda: self.show_page(Page.MY_APPOINTMENTS)),
        ]
        for keys, handler in shortcuts:
            QShortcut(keys, self, handler)
        self._set_navigation(False)
        self.top_bar.set_user(None)
        self.stack.setCurrentWidget(self.starting_page)

    # --- start-up and sign-in ------------------------------------------------------------------------
    def show_starting(self, text: str) -> None:
        self.starting_page.findChild(QLabel).setText(text)  # type: ignore[union-attr]
        self.stack.setCurrentWidget(self.starting_page)

    def show_connection(self, text: str) -> None:
        self.connection_label.setText(text)

    def ask_sign_in(self, message: str = "", email: str = "") -> LoginDialog:
        if self.login_dialog is not None and self.login_dialog.isVisible():
            return self.login_dialog
        if self.user is None:
            self.stack.setCurrentWidget(self.signed_out_page)
        dialog = LoginDialog(
            self.session,
            local=self.local,
            email=email or (self.user.email if self.user else ""),
            demo_accounts=self.demo_accounts,
            message=message,
            parent=self,
        )
        dialog.signedIn.connect(self.enter)
        dialog.serverChanged.connect(self.serverChanged)
        self.login_dialog = dialog
        dialog.open()
        return dialog

    @async_slot(object)
    async def enter(self, user: User) -> None:
        """Signed in (or back after the session ended): show the user's cases."""
        same_person = self.user is not None and self.user.id == user.id
        if not same_person:
            self._reset_pages()
        self.user = user
        self.setWindowTitle(f"apptdesk — {user.name}")
        self.top_bar.set_user(user)
        self.cases_page.set_admin(user.is_admin)
        if user.is_admin:
            self.read_only_banner.show_message(READ_ONLY_TEXT, Tone.INFO)
        else:
            self.read_only_banner.hide()
        self.error_banner.hide()
        self._set_navigation(True)
        self.idle.arm()
        if not same_person or self.stack.currentWidget() in (self.signed_out_page, self.starting_page):
            self.show_page(Page.CASES)
        self.live.start()
        self.is_ready = False
        async with working(self.sink, doing="loading"):
            await self._refresh_current()
            await self.load_inbox()
        self.is_ready = True
        self.ready.emit()

    async def load_inbox(self) -> None:
        if self.user is None or self.user.is_admin:
            self.inbox.clear()  # administrators get no notifications
            return
        notifications, unread = await self.session.inbox()
        self.inbox.load(notifications, unread)

    def _reset_pages(self) -> None:
        self.cases_page.clear()
        for page in (self.case_view, self.my_appointments):
            if page is not None:
                self.stack.removeWidget(page)
                page.deleteLater()
        self.case_view = None
        self.my_appointments = None

    def _set_navigation(self, enabled: bool) -> None:
        self.side_menu.setEnabled(enabled)
        self.top_bar.settings_button.setEnabled(True)

    def _session_ended(self) -> None:
        self.live.stop()
        self.ask_sign_in("Your sign-in has ended. Sign in again to continue where you were.")

    @async_slot()
    async def sign_out(self) -> None:
        async with working(self.sink, self.top_bar.sign_out_button, doing="signing out"):
            # Signed out here even when the server cannot be told; its tokens then simply expire.
            with contextlib.suppress(ServerUnavailable):
                await self.session.sign_out()
        self._clear_after_sign_out()

    def _clear_after_sign_out(self) -> None:
        self.live.stop()
        self.inbox.clear()
        self.user = None
        self._reset_pages()
        self.top_bar.set_user(None)
        self.read_only_banner.hide()
        self.error_banner.hide()
        self._set_navigation(False)
        self.idle.enabled = False
        self.setWindowTitle("apptdesk")
        self.unread.set_count(0)
        self.ask_sign_in()

    # --- pages ---------------------------------------------------------------------------------------
    def show_page(self, page: Page) -> None:
        if self.user is None:
            return
        self.side_menu.select(page)
        if page is Page.CASES:
            self.stack.setCurrentWidget(self.cases_page)
            self.cases_page.view.setFocus()
            return
        created = self.my_appointments is None
        if created:
            from apptdesk.views.my_appointments import MyAppointmentsPage

            page_widget = MyAppointmentsPage(self.session, self.sink, self.zone, inbox=self.inbox)
            page_widget.openCase.connect(self.open_case)
            self.my_appointments = page_widget
            self.stack.addWidget(page_widget)
        assert self.my_appointments is not None
        self.stack.setCurrentWidget(self.my_appointments)
        if created:
            self.refresh()

    @async_slot(str)
    async def open_case(self, case_id: str, appointment_id: int | None = None) -> None:
        user = self.user
        if user is None:
            return
        async with working(self.sink, doing=f"opening case {case_id}"):
            case = await self.session.case(case_id)
            view = CaseView(self.session, self.sink, case, user, self.zone, inbox=self.inbox)
            view.back.connect(lambda: self.show_page(Page.CASES))
            if self.case_view is not None:
                self.stack.removeWidget(self.case_view)
                self.case_view.deleteLater()
            self.case_view = view
            self.stack.addWidget(view)
            self.stack.setCurrentWidget(view)
            self.side_menu.select(Page.CASES)
            view.appointments.view.setFocus()
            await view.refresh()
            self._loaded()
            if appointment_id is not None:
                view.appointments.select(appointment_id)

    def current_page(self) -> QWidget | None:
        return self.stack.currentWidget()

    @async_slot()
    async def refresh(self) -> None:
        async with working(self.sink, doing="refreshing"):
            await self._refresh_current()

    async def _refresh_current(self) -> None:
        page = self.stack.currentWidget()
        refresh = getattr(page, "refresh", None)
        if refresh is None or self.user is None:
            return
        await refresh()
        self._loaded()

    def _loaded(self) -> None:
        self._last_loaded = datetime.now()
        if self.error_banner.isVisible() and self.error_banner.property("connection"):
            self.error_banner.hide()

    def request_appointment(self) -> None:
        if self.case_view is not None and self.stack.currentWidget() is self.case_view:
            self.case_view.appointments.request()
        elif self.user is not None and not self.user.is_admin:
            self.statusBar().showMessage("Open a case first, then request an appointment there.", 5000)

    # --- errors, notes, lock -------------------------------------------------------------------------
    def _show_error(self, message: str, exc: object) -> None:
        if isinstance(exc, Unauthorized):
            return  # the session-ended flow asks for the password again
        connection = isinstance(exc, ServerUnavailable)
        self.error_banner.setProperty("connection", connection)
        if connection:
            since = (
                f" Showing what was loaded at {self._last_loaded:%H:%M}; it may not be current."
                if (self._last_loaded)
                else ""
            )
            self.error_banner.show_message(message + since, Tone.WARNING, retry=self.refresh)
        elif isinstance(exc, NotFound):
            self.error_banner.show_message(message, Tone.WARNING)
        elif isinstance(exc, ApiError):
            self.error_banner.show_message(message, Tone.ERROR)
        else:
            self.error_banner.show_message(message, Tone.ERROR)

    def _show_live_state(self, status: LiveStatus) -> None:
        if status.state is LiveState.CONNECTED:
            self.live_label.setText("Live")
            self.live_label.setToolTip("Changes by others appear here as they happen.")
        elif status.state is LiveState.RECONNECTING:
            self.live_label.setText("Live updates paused — reconnecting…")
            self.live_label.setToolTip(status.error.user_message if status.error else "")
        else:
            self.live_label.setText("")

    @async_slot()
    async def _resync(self) -> None:
        """The stream restarted without knowing what it missed: reload what is on screen, once."""
        async with working(self.sink, doing="catching up"):
            await self._refresh_current()
            await self.load_inbox()

    @async_slot()
    async def mark_all_read(self) -> None:
        async with working(self.sink, doing="marking notifications read"):
            await self.session.mark_all_read()
            self.inbox.mark_all_read()

    def show_notifications(self) -> None:
        """The notifications panel, as a pop-up under the badge."""
        panel, badge = self.notifications_panel, self.top_bar.badge
        panel.resize(max(panel.sizeHint().width(), 380), min(panel.sizeHint().height(), 480))
        below = badge.mapToGlobal(badge.rect().bottomRight())
        panel.move(below.x() - panel.width(), below.y() + 4)
        panel.show()
        panel.view.setFocus()

    def _notification_opened(self, notification: Notification) -> None:
        self.notifications_panel.hide()
        self.open_notification(notification.appointment_id, notification.case_id)

    @async_slot(int, str)
    async def open_notification(self, appointment_id: int, case_id: str) -> None:
        """A notification was opened (panel or tray): mark its appointment's notices read, show it."""
        ids = self.inbox.unread_for(appointment_id)
        if ids:
            self.inbox.mark_read(ids)
            async with working(self.sink, doing="marking notifications read"):
                await self.session.mark_read(ids)
        await self.open_case(case_id, appointment_id)

    def _show_note(self, note: str) -> None:
        if note:
            self.note_banner.show_message(note, Tone.INFO)
        else:
            self.note_banner.hide()

    def lock(self) -> None:
        if self.user is None:
            return
        self._before_lock = self.stack.currentWidget()
        self.lock_page.prepare(self.idle.minutes)
        self.stack.setCurrentWidget(self.lock_page)
        self._set_navigation(False)
        self.top_bar.badge.hide()

    def _unlocked(self) -> None:
        self.stack.setCurrentWidget(getattr(self, "_before_lock", self.cases_page))
        self._set_navigation(True)
        self.top_bar.badge.set_count(self.unread.count)
        self.idle.arm()

    @property
    def locked(self) -> bool:
        return self.stack.currentWidget() is self.lock_page

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.keep_running_in_tray():
            self.hide()
            event.ignore()
            return
        self.live.stop()
        self.closing.emit()
        super().closeEvent(event)


def _message_page(name: str, text: str) -> QWidget:
    page = QWidget()
    page.setObjectName(name)
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet("font-size: 14pt; color: palette(placeholder-text);")
    label.setWordWrap(True)
    layout = QVBoxLayout(page)
    layout.addWidget(label)
    return page
