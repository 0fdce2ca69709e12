"""The tray: the count drawn into the icon (a pure function), and the controller with and without a tray."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from apptdesk.models.unread import UnreadCounter
from apptdesk.views import tray_icon
from apptdesk.views.tray import TrayController, tray_tooltip, window_title
from apptdesk.views.tray_icon import TRAY_SIZES, badge_image, badge_text, base_icon

pytestmark = pytest.mark.gui


def corner(image: QImage) -> QImage:
    """The top-right quarter, where the bubble goes."""
    half = image.width() // 2
    return image.copy(QRect(half, 0, image.width() - half, half))


# --- the pure function -----------------------------------------------------------------------------


def test_badge_text() -> None:
    assert [badge_text(n) for n in (-1, 0, 1, 9, 10, 99, 1000)] == ["", "", "1", "9", "9+", "9+", "9+"]


@pytest.mark.parametrize("size", [16, 22, 32, 64])
def test_image_differs_between_counts(qapp: Any, size: int) -> None:
    images = {count: badge_image(count, size) for count in (0, 1, 2, 10)}
    for a, b in itertools.combinations(images, 2):
        assert images[a] != images[b], f"{a} and {b} look the same at {size} px"


def test_every_count_up_to_nine_is_told_apart_at_every_tray_size(qapp: Any) -> None:
    for size in TRAY_SIZES:
        images = [badge_image(count, size) for count in range(0, 11)]
        for a, b in itertools.combinations(range(len(images)), 2):
            assert images[a] != images[b], f"{a} and {b} look the same at {size} px"


def test_same_count_same_pixels(qapp: Any) -> None:
    for size in (16, 22, 64):
        for count in (0, 3, 12):
            first, second = badge_image(count, size), badge_image(count, size)
            assert first == second
            assert first is not second
            assert first.size().width() == first.size().height() == size


def test_no_bubble_at_zero(qapp: Any) -> None:
    for size in TRAY_SIZES:
        assert badge_image(0, size) == base_icon(size)
        assert corner(badge_image(0, size)) == corner(base_icon(size))
        assert corner(badge_image(1, size)) != corner(base_icon(size))
        # The bubble stays in the corner: the bottom-left quarter is the plain icon's.
        bottom_left = QRect(0, size - size // 3, size // 3, size // 3)
        assert badge_image(7, size).copy(bottom_left) == base_icon(size).copy(bottom_left)


def test_nine_plus_reads_the_same_for_every_larger_count(qapp: Any) -> None:
    for size in (16, 22, 32, 64):
        assert badge_image(10, size) == badge_image(99, size) == badge_image(1234, size)
        assert badge_image(9, size) != badge_image(10, size)


def test_bubble_is_red_with_white_digits(qapp: Any) -> None:
    for size in (16, 22, 64):
        image = corner(badge_image(8, size))
        colors = {image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())}
        assert "#d1242f" in colors
        assert "#ffffff" in colors


def test_small_sizes_draw_sharp_digits(qapp: Any) -> None:
    """At 16 and 20 px the digits are whole white pixels on the red: no grey smear."""
    for size, diameter in ((16, 11), (20, 13)):
        for count in (3, 8, 10):
            image = badge_image(count, size)
            inside = QRect(size - diameter + 2, 2, diameter - 4, diameter - 4)
            colors = {
                image.pixelColor(x, y).name()
                for x in range(inside.left(), inside.right() + 1)
                for y in range(inside.top(), inside.bottom() + 1)
            }
            assert colors == {"#d1242f", "#ffffff"}, (size, count, colors)


def test_dark_variant_differs_and_is_deterministic(qapp: Any) -> None:
    assert badge_image(2, 32, dark=True) != badge_image(2, 32)
    assert badge_image(2, 32, dark=True) == badge_image(2, 32, dark=True)
    assert badge_image(0, 32, dark=True) == base_icon(32, dark=True)


def test_a_given_base_image_is_used(qapp: Any) -> None:
    base = QImage(40, 40, QImage.Format.Format_ARGB32_Premultiplied)
    base.fill(QColor("#00aa00"))
    plain = badge_image(0, 40, base=base)
    assert plain.pixelColor(38, 2).name() == "#00aa00"
    badged = badge_image(5, 40, base=base)
    assert corner(badged) != corner(plain)
    assert badged.pixelColor(2, 38).name() == "#00aa00"
    assert base.pixelColor(38, 2).name() == "#00aa00", "the caller's image was painted on"


@pytest.fixture
def without_svg(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(tray_icon, "icon_path", lambda: None)
    tray_icon._base_icon.cache_clear()
    yield
    tray_icon._base_icon.cache_clear()


def test_drawn_calendar_when_there_is_no_svg(qapp: Any, without_svg: None) -> None:
    image = base_icon(32)
    assert image.pixelColor(16, 24).alpha() == 255  # something is drawn in the middle
    assert badge_image(0, 32) != badge_image(1, 32)
    assert badge_image(0, 32) == image


def test_window_title_and_tooltip() -> None:
    assert window_title("apptdesk — Dr. X", 3) == "apptdesk — Dr. X (3 unread)"
    assert window_title("apptdesk — Dr. X", 0) == "apptdesk — Dr. X"
    assert tray_tooltip(4) == "apptdesk — 4 unread"
    assert tray_tooltip(0) == "apptdesk — no unread"
    assert tray_tooltip(4, signed_in=False) == "apptdesk — not signed in"


# --- the controller ----------------------------------------------------------------------------------


def test_without_a_tray_the_controller_is_inert(qapp: Any, qtbot: QtBot) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen
    counter = UnreadCounter()
    controller = TrayController(counter, signed_in=True)
    assert controller.available is False
    assert controller.tray is None
    assert controller.menu is None
    counter.set_count(5)
    controller.set_signed_in(False)
    with qtbot.assertNotEmitted(controller.notificationClicked):
        assert controller.show_popup("New request", "C-1", 7, "C-1") is False
        controller._message_clicked()
    assert controller.last_popup is None
    assert controller.action("trayQuitAction") is None
    controller.close()


@pytest.fixture
def tray_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))


@pytest.fixture
def controller(qapp: Any, tray_available: None) -> Iterator[TrayController]:
    counter = UnreadCounter()
    controller = TrayController(counter, signed_in=True)
    yield controller
    controller.close()
    controller.deleteLater()


def icon_image(controller: TrayController, size: int = 64) -> QImage:
    assert controller.tray is not None
    return controller.tray.icon().pixmap(size).toImage()


def states(controller: TrayController) -> dict[str, tuple[str, bool]]:
    assert controller.menu is not None
    controller.menu.aboutToShow.emit()
    return {a.objectName(): (a.text(), a.isEnabled()) for a in controller.menu.actions() if a.objectName()}


def test_icon_follows_the_count(controller: TrayController) -> None:
    assert controller.available
    zero = icon_image(controller)
    assert zero == badge_image(0, 64, dark=controller._dark)
    controller.counter.set_count(1)
    one = icon_image(controller)
    assert one != zero
    assert one == badge_image(1, 64, dark=controller._dark)
    controller.counter.set_count(12)
    assert icon_image(controller) != one
    controller.counter.set_count(0)
    assert icon_image(controller) == zero
    # Each tray size is drawn for that size, not scaled from the large one.
    assert icon_image(controller, 16) == badge_image(0, 16, dark=controller._dark)


def test_tooltip_follows_count_and_sign_in(controller: TrayController) -> None:
    assert controller.tray is not None
    assert controller.tray.toolTip() == "apptdesk — no unread"
    controller.counter.set_count(3)
    assert controller.tray.toolTip() == "apptdesk — 3 unread"
    controller.set_signed_in(False)
    assert controller.tray.toolTip() == "apptdesk — not signed in"


def test_icon_follows_a_dark_palette(controller: TrayController, qapp: Any) -> None:
    controller.counter.set_count(2)
    light = icon_image(controller)
    previous = QGuiApplication.palette()
    dark = QPalette(previous)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled):
        dark.setColor(group, QPalette.ColorRole.Window, QColor("#202020"))
    was_dark = controller._dark
    try:
        qapp.setPalette(dark)
        assert controller._dark is True
        if not was_dark:
            assert icon_image(controller) != light
        assert icon_image(controller) == badge_image(2, 64, dark=True)
    finally:
        qapp.setPalette(previous)
    assert controller._dark is was_dark


def test_menu_reflects_the_state_when_it_opens(controller: TrayController) -> None:
    menu = states(controller)
    assert list(menu) == [
        "trayOpenAction",
        "trayMyAppointmentsAction",
        "trayMarkAllReadAction",
        "traySignOutAction",
        "trayQuitAction",
    ]
    assert menu["trayOpenAction"] == ("Open apptdesk", True)
    assert menu["trayMyAppointmentsAction"] == ("My Appointments", True)
    assert menu["trayMarkAllReadAction"] == ("Mark all read", False)  # nothing unread
    assert menu["traySignOutAction"] == ("Sign out", True)
    assert menu["trayQuitAction"] == ("Quit", True)

    controller.counter.set_count(4)
    assert states(controller)["trayMarkAllReadAction"] == ("Mark all read (4)", True)

    controller.set_signed_in(False)
    menu = states(controller)
    assert menu["traySignOutAction"] == ("Sign out", False)
    assert menu["trayMarkAllReadAction"][1] is False
    assert menu["trayMyAppointmentsAction"][1] is False
    assert menu["trayOpenAction"][1] is True
    assert menu["trayQuitAction"][1] is True


@pytest.mark.parametrize(
    ("action", "signal"),
    [
        ("trayOpenAction", "openRequested"),
        ("trayMyAppointmentsAction", "myAppointmentsRequested"),
        ("trayMarkAllReadAction", "markAllReadRequested"),
        ("traySignOutAction", "signOutRequested"),
        ("trayQuitAction", "quitRequested"),
    ],
)
def test_menu_actions_emit_their_signals(
    controller: TrayController, qtbot: QtBot, action: str, signal: str
) -> None:
    controller.counter.set_count(1)
    states(controller)
    item = controller.action(action)
    assert item is not None
    assert item.isEnabled()
    with qtbot.waitSignal(getattr(controller, signal), timeout=1000):
        item.trigger()


def test_clicking_the_icon_opens_the_window(controller: TrayController, qtbot: QtBot) -> None:
    with qtbot.waitSignal(controller.openRequested, timeout=1000):
        controller._activated(QSystemTrayIcon.ActivationReason.DoubleClick)
    with qtbot.assertNotEmitted(controller.openRequested):
        controller._activated(QSystemTrayIcon.ActivationReason.Context)


def test_popup_click_opens_the_last_popup(controller: TrayController, qtbot: QtBot) -> None:
    shown: list[tuple[str, str]] = []
    assert controller.tray is not None
    controller.tray.showMessage = lambda title, body, *_: shown.append((title, body))  # type: ignore[method-assign]
    with qtbot.assertNotEmitted(controller.notificationClicked):
        controller._message_clicked()  # no pop-up yet
    assert controller.show_popup("Appointment requested · C-1", "Rita Requester · 12:00", 7, "C-1")
    assert controller.show_popup("Appointment accepted · C-2", "Paul Provider · 14:00", 9, "C-2")
    assert shown == [
        ("Appointment requested · C-1", "Rita Requester · 12:00"),
        ("Appointment accepted · C-2", "Paul Provider · 14:00"),
    ]
    assert controller.last_popup == (9, "C-2")
    with qtbot.waitSignal(controller.notificationClicked, timeout=1000) as blocker:
        controller._message_clicked()
    assert blocker.args == [9, "C-2"]
    assert controller.last_popup is None
    with qtbot.assertNotEmitted(controller.notificationClicked):
        controller._message_clicked()  # a second click on the same pop-up opens nothing more


def test_signing_out_forgets_the_last_popup(controller: TrayController, qtbot: QtBot) -> None:
    assert controller.tray is not None
    controller.tray.showMessage = lambda *_: None  # type: ignore[method-assign]
    controller.show_popup("Appointment requested · C-1", "Rita Requester", 7, "C-1")
    controller.set_signed_in(False)
    with qtbot.assertNotEmitted(controller.notificationClicked):
        controller._message_clicked()
    assert controller.show_popup("Appointment requested · C-1", "Rita Requester", 7, "C-1") is False
    assert controller.last_popup is None


def test_real_show_message_does_not_break_offscreen(controller: TrayController) -> None:
    assert controller.show_popup("Appointment requested · C-1", "Rita Requester", 7, "C-1")
    assert controller.last_popup == (7, "C-1")
