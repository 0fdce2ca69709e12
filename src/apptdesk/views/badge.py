"""The unread badge in the top bar: a pill with the count, hidden at zero."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from apptdesk.models.unread import UnreadCounter


class UnreadBadge(QLabel):
    def __init__(self, counter: UnreadCounter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unreadBadge")
        self.setStyleSheet(
            "#unreadBadge { background: palette(highlight); color: palette(highlighted-text);"
            " border-radius: 9px; padding: 1px 8px; font-weight: bold; }"
        )
        counter.changed.connect(self.set_count)
        self.set_count(counter.count)

    def set_count(self, count: int) -> None:
        self.setText(f"{count} unread" if count else "")
        self.setAccessibleName(f"{count} unread appointment updates" if count else "No unread updates")
        self.setVisible(count > 0)
