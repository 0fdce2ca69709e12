"""The unread badge in the top bar: a button with the count that opens the notifications panel."""

from __future__ import annotations

from PySide6.QtWidgets import QToolButton, QWidget

from apptdesk.models.unread import UnreadCounter

_PILL = (
    "#unreadBadge { background: palette(highlight); color: palette(highlighted-text); border: none;"
    " border-radius: 10px; padding: 2px 10px; font-weight: bold; }"
)
_QUIET = "#unreadBadge { border: none; padding: 2px 10px; }"


class UnreadBadge(QToolButton):
    def __init__(self, counter: UnreadCounter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unreadBadge")
        self.setToolTip("Notifications (click to see them)")
        counter.changed.connect(self.set_count)
        self.set_count(counter.count)

    def set_count(self, count: int) -> None:
        self.setText(f"{count} unread" if count else "Notifications")
        self.setStyleSheet(_PILL if count else _QUIET)
        self.setAccessibleName(f"Notifications: {count} unread" if count else "Notifications: none unread")
