"""The unread count behind the badges (top bar, side menu, tray). Notifications feed it."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class UnreadCounter(QObject):
    changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    def set_count(self, count: int) -> None:
        count = max(0, count)
        if count != self._count:
            self._count = count
            self.changed.emit(count)
