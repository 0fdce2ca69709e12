"""The desktop application: parse the command line, start (or reach) the server, show the window.

The window appears at once ("Starting…"); the embedded server, when used, starts in a worker thread,
then a remembered sign-in is tried, else the sign-in dialog opens.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import qasync
from PySide6.QtWidgets import QApplication

from apptdesk import __version__
from apptdesk.api import Notification
from apptdesk.desktop import logging_setup
from apptdesk.desktop.config import ClientConfig
from apptdesk.desktop.credentials import CredentialStore
from apptdesk.models.session import AppSession
from apptdesk.models.unread import UnreadCounter
from apptdesk.paths import Paths
from apptdesk.views.banner import Tone
from apptdesk.views.main_window import MainWindow
from apptdesk.views.side_menu import Page
from apptdesk.views.tray import TrayController, window_title

if TYPE_CHECKING:
    from apptdesk.desktop.embedded import DemoAccount, EmbeddedServer

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="apptdesk", description="apptdesk: appointments for second-opinion cases"
    )
    parser.add_argument("--server", metavar="URL", help="connect to this server (remembered); default: local")
    parser.add_argument(
        "--local", action="store_true", help="use the local embedded server, forgetting --server"
    )
    parser.add_argument("--home", metavar="DIR", type=Path, help="keep config, data and logs under DIR")
    parser.add_argument("--version", action="version", version=f"apptdesk {__version__}")
    return parser.parse_args(argv)


class DesktopApp:
    """Owns the session, the window and (when used) the embedded server, for the app's lifetime."""

    def __init__(self, paths: Paths, config: ClientConfig, config_path: Path) -> None:
        self.paths = paths
        self.config = config
        self.config_path = config_path
        self.embedded = None if config.server_url else _embedded_server(paths)
        self.session = AppSession(CredentialStore())
        self.unread = UnreadCounter()
        demo = _demo_accounts() if self.embedded is not None else []
        self.window = MainWindow(
            self.session,
            unread=self.unread,
            local=self.embedded is not None,
            demo_accounts=demo,
            idle_minutes=config.idle_lock_minutes,
        )
        self.window.serverChanged.connect(self._remember_server)
        self.window.settingsRequested.connect(self.open_settings)
        self.quitting = False
        self.tray = TrayController(self.unread, parent=self.window)
        self._connect_tray()

    def _connect_tray(self) -> None:
        tray, window = self.tray, self.window
        tray.openRequested.connect(self.show_window)
        tray.myAppointmentsRequested.connect(self._show_my_appointments)
        tray.markAllReadRequested.connect(window.mark_all_read)
        tray.signOutRequested.connect(window.sign_out)
        tray.quitRequested.connect(self.quit)
        tray.notificationClicked.connect(self._open_notification)
        window.inbox.arrived.connect(self._pop_up)
        self.session.signedIn.connect(lambda _user: tray.set_signed_in(True))
        self.session.signedOut.connect(lambda: tray.set_signed_in(False))
        # Closing the window keeps the app in the tray, where there is one; Quit (tray menu) ends it.
        window.keep_running_in_tray = lambda: tray.available and not self.quitting
        if not tray.available:
            # No tray (plain GNOME, offscreen): the count goes in the window title instead.
            self.unread.changed.connect(self._title)
            window.windowTitleChanged.connect(lambda _title: self._title(self.unread.count))

    def show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def _show_my_appointments(self) -> None:
        self.show_window()
        self.window.show_page(Page.MY_APPOINTMENTS)

    def _open_notification(self, appointment_id: int, case_id: str) -> None:
        self.show_window()
        self.window.open_notification(appointment_id, case_id)

    def _pop_up(self, notification: Notification) -> None:
        if self.window.locked:
            # A locked screen shows no case or names: just that something happened.
            self.tray.show_popup(
                "apptdesk",
                "A new appointment update is waiting.",
                notification.appointment_id,
                notification.case_id,
            )
        else:
            self.tray.show_popup(
                notification.title, notification.body, notification.appointment_id, notification.case_id
            )

    def _title(self, count: int) -> None:
        base = f"apptdesk — {self.window.user.name}" if self.window.user else "apptdesk"
        wanted = window_title(base, count)
        if self.window.windowTitle() != wanted:
            self.window.setWindowTitle(wanted)

    def quit(self) -> None:
        self.quitting = True
        self.tray.close()
        QApplication.quit()

    async def start(self) -> None:
        url = self.config.server_url
        if self.embedded is not None:
            self.window.show_starting("Starting the local server…")
            try:
                url = await asyncio.get_running_loop().run_in_executor(None, self.embedded.start)
            except Exception as exc:
                log.exception("the local server did not start")
                self.window.show_starting(
                    f"The local server could not start: {exc}. See the log in {self.paths.logs}."
                )
                return
            self.window.show_connection(f"Local server · {url}")
        else:
            self.window.show_connection(f"Server · {url}")
        assert url is not None
        self.session.connect_to(url)
        self.window.show_starting("Signing in…")
        try:
            user = await self.session.resume()
        except Exception as exc:  # the server may be down: say so, then offer the sign-in anyway
            log.warning("could not resume the sign-in: %r", exc)
            user = None
            self.window.sink.report(exc, "resuming the sign-in")
        if user is not None:
            await self.window.enter(user)
        else:
            self.window.ask_sign_in(email=self.config.last_email.get(url, ""))

    def _remember_server(self, url: str) -> None:
        self.config.server_url = url
        self.config.save(self.config_path)

    def open_settings(self) -> None:
        from apptdesk.views.dialogs.settings import SettingsDialog

        dialog = SettingsDialog(self.config, self.window)
        dialog.accepted.connect(self._settings_saved)
        dialog.open()

    def _settings_saved(self) -> None:
        self.config.save(self.config_path)
        self.window.idle.minutes = self.config.idle_lock_minutes
        self.window.statusBar().showMessage(
            "Settings saved. A change of server takes effect the next time apptdesk starts.", 8000
        )

    def excepthook(self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("unhandled error", exc_info=(kind, exc, tb))
        self.window.error_banner.show_message(
            f"Something unexpected went wrong ({kind.__name__}). It has been logged in {self.paths.logs}.",
            Tone.ERROR,
        )

    async def shutdown(self) -> None:
        # Close the live stream first: the API client and the embedded server go next.
        await self.window.live.stop_and_wait()
        await self.session.close()
        if self.embedded is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.embedded.stop)


def _embedded_server(paths: Paths) -> EmbeddedServer:
    # Imported only when used: a client pointed at a remote server never loads the server code.
    from apptdesk.desktop.embedded import EmbeddedServer

    return EmbeddedServer(paths.default_database)


def _demo_accounts() -> list[DemoAccount]:
    from apptdesk.desktop.embedded import demo_accounts

    return demo_accounts()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.home:
        os.environ["APPTDESK_HOME"] = str(args.home)
    paths = Paths.default().ensure()
    log_file = logging_setup.configure(paths.logs)
    config_path = paths.config / "client.json"
    config = ClientConfig.load(config_path)
    if args.local:
        config.server_url = None
    elif args.server:
        config.server_url = args.server.rstrip("/")
    config.save(config_path)
    log.info("apptdesk starting", extra={"version": __version__, "log": str(log_file)})

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("apptdesk")
    app.setApplicationDisplayName("apptdesk")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    desktop = DesktopApp(paths, config, config_path)
    sys.excepthook = desktop.excepthook
    threading.excepthook = lambda a: desktop.excepthook(
        a.exc_type, a.exc_value or Exception(), a.exc_traceback
    )
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    app.setQuitOnLastWindowClosed(not desktop.tray.available)
    desktop.window.show()

    async def run() -> None:
        await desktop.start()
        await closed.wait()

    with loop:
        loop.run_until_complete(run())
        loop.run_until_complete(desktop.shutdown())
    return 0
