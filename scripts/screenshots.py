"""Render the main screens offscreen into a folder (``make screenshots`` -> docs/screenshots/).

Drives the real window against a real server with the demo data, as a person would: sign in, the
case list, a case's Appointments tab, the request dialog, My Appointments filtered, admin oversight.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import keyring
import qasync
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QApplication, QWidget

from apptdesk.desktop.credentials import CredentialStore
from apptdesk.desktop.embedded import demo_accounts
from apptdesk.domain import AppointmentStatus
from apptdesk.models.session import AppSession
from apptdesk.server.app import create_app
from apptdesk.server.db import migrate
from apptdesk.server.db.engine import Database
from apptdesk.server.demo import DEMO_PASSWORD, seed
from apptdesk.server.embedded import ServerThread
from apptdesk.server.settings import Settings
from apptdesk.server.state import passwords_for
from apptdesk.views.main_window import MainWindow
from apptdesk.views.side_menu import Page
from tests.support.qt import MemoryKeyring

SIZE = QSize(1280, 800)
PROVIDER = "hiro.sato@demo.apptdesk.org"
ADMIN = "admin@demo.apptdesk.org"


async def until(condition: Callable[[], object], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not reach the expected state")
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # let layouts settle before the picture


def save(widget: QWidget, folder: Path, name: str) -> None:
    QApplication.processEvents()
    path = folder / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path}")


async def sign_in(window: MainWindow, email: str) -> None:
    dialog = window.ask_sign_in()
    dialog.email_edit.setText(email)
    dialog.password_edit.setText(DEMO_PASSWORD)
    dialog.login_button.click()
    await until(lambda: window.user is not None and window.cases_page.model.has_loaded)


async def shoot(folder: Path) -> None:
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'demo.sqlite3'}"
    settings = Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    migrate.upgrade(url)
    db = Database.connect(url)
    await seed(db, passwords_for(settings).hash, datetime.now(UTC))
    await db.dispose()
    server = ServerThread(create_app(settings)).start()
    session = AppSession(CredentialStore())
    session.connect_to(server.url)
    window = MainWindow(session, local=True, demo_accounts=demo_accounts())
    window.resize(SIZE)
    window.show()
    window.show_connection(f"Local server · {server.url}")
    try:
        dialog = window.ask_sign_in()
        dialog.email_edit.setText(PROVIDER)
        await until(dialog.isVisible)
        save(dialog, folder, "01-sign-in")
        await sign_in(window, PROVIDER)
        save(window, folder, "02-case-list")

        window.open_case("C-1001")
        await until(lambda: window.case_view is not None and window.case_view.appointments.model.has_loaded)
        tab = window.case_view.appointments  # type: ignore[union-attr]
        awaiting = next((a for a in tab.model.rows() if a.is_awaiting(window.user)), None)  # type: ignore[arg-type]
        if awaiting is not None:
            tab.select(awaiting.id)
        save(window, folder, "03-appointments-tab")

        tab.request()
        request = tab._dialog
        assert request is not None
        await until(request.isVisible)
        purpose = request.findChild(QWidget, "purposeEdit")
        purpose.setPlainText("Go through the CT findings and agree on the next diagnostic steps.")  # type: ignore[attr-defined]
        save(request, folder, "04-request-dialog")
        request.reject()

        window.show_page(Page.MY_APPOINTMENTS)
        page = window.my_appointments
        assert page is not None
        await until(lambda: page.model.has_loaded)  # type: ignore[attr-defined]
        page.set_statuses({AppointmentStatus.PENDING, AppointmentStatus.ACCEPTED})  # type: ignore[attr-defined]
        await asyncio.sleep(0.6)
        await until(lambda: not page.model.loading)  # type: ignore[attr-defined]
        save(window, folder, "05-my-appointments-filtered")

        await until(lambda: window.unread.count > 0)
        window.show_notifications()
        await until(window.notifications_panel.isVisible)
        save(window.notifications_panel, folder, "07-notifications")
        window.notifications_panel.hide()

        await window.session.sign_out()
        window._clear_after_sign_out()
        await sign_in(window, ADMIN)
        window.open_case("C-1004")
        await until(lambda: window.case_view is not None and window.case_view.appointments.model.has_loaded)
        save(window, folder, "06-admin-oversight")
    finally:
        await window.live.stop_and_wait()
        await session.close()
        server.stop()


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    keyring.set_keyring(MemoryKeyring())  # never touch the OS keychain from a script
    app = QApplication(sys.argv[:1])
    app.setApplicationName("apptdesk")
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(shoot(folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
