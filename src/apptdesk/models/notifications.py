"""The notification list behind the notifications panel: newest first, unread rows bold.

No I/O: the caller loads notifications and tells the server what was read; this model only shows them
and mirrors what the caller reports (``mark_read``, ``mark_all_read``, ``add`` for one that was pushed).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from apptdesk.api import Notification
from apptdesk.models import formatting as fmt
from apptdesk.models.rows import Column, Index, ObjectRole, RowsModel

__all__ = ["NotificationsModel", "ObjectRole", "short_when"]


def short_when(moment: datetime, zone: tzinfo, now: datetime) -> str:
    """A time as a list of recent events says it: "14:05" today, "Yesterday 14:05", else the date."""
    local = moment.astimezone(zone)
    today = now.astimezone(zone).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.date() == today - timedelta(days=1):
        return local.strftime("Yesterday %H:%M")
    if local.year == today.year:
        return local.strftime("%a %d %b, %H:%M")
    return local.strftime("%d %b %Y, %H:%M")


def _newest_first(notification: Notification) -> tuple[float, int]:
    return (-notification.created_at.timestamp(), -notification.id)


class NotificationsModel(RowsModel[Notification]):
    """Title, details and time of each notification; ``ObjectRole`` gives the ``Notification``."""

    COL_TITLE, COL_BODY, COL_TIME = range(3)

    def __init__(
        self,
        zone: tzinfo | None = None,
        now: Callable[[], datetime] | None = None,
        parent: Any = None,
    ) -> None:
        self.zone = zone or fmt.local_zone()
        self._now = now or (lambda: datetime.now(self.zone))
        columns = [
            Column[Notification]("Title", lambda n: n.title, tooltip=lambda n: n.title),
            Column[Notification]("Details", lambda n: n.body, tooltip=lambda n: n.body),
            Column[Notification](
                "Time",
                lambda n: short_when(n.created_at, self.zone, self._now()),
                sort_key=lambda n: (n.created_at, n.id),
                tooltip=lambda n: fmt.when(n.created_at, self.zone),
            ),
        ]
        super().__init__(columns, key=lambda n: n.id, parent=parent)
        self.set_bold_rule(lambda n: not n.read)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.AccessibleTextRole and index.isValid() and index.row() < self.rowCount():
            return self.spoken(self.row_object(index.row()))
        return super().data(index, role)

    def spoken(self, notification: Notification) -> str:
        """What a screen reader says for a row: read state, title, details, time."""
        state = "Read" if notification.read else "Unread"
        when = fmt.when(notification.created_at, self.zone)
        return f"{state}: {notification.title}. {notification.body}. {when}"

    # --- updates ----------------------------------------------------------------------------------
    def set_notifications(self, notifications: Iterable[Notification]) -> None:
        """Show these, newest first (one reset)."""
        self.set_rows(sorted(notifications, key=_newest_first))

    def add(self, notification: Notification) -> int:
        """Show a new (or changed) notification in its place; returns its row."""
        position = self.position_of(notification.id)
        if position is not None:
            current = self.row_object(position)
            if current.created_at == notification.created_at:
                self.update_row(notification)
                return position
            self.beginRemoveRows(QModelIndex(), position, position)
            del self._rows[position]
            self._reindex()
            self.endRemoveRows()
        keys = [_newest_first(row) for row in self._rows]
        position = bisect.bisect_left(keys, _newest_first(notification))
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.insert(position, notification)
        self._reindex()
        self.endInsertRows()
        return position

    def mark_read(self, ids: Iterable[int]) -> list[int]:
        """Show these as read; returns the ids that were unread here."""
        changed = []
        for notification_id in ids:
            position = self.position_of(notification_id)
            if position is None:
                continue
            row = self.row_object(position)
            if not row.read:
                self.update_row(replace(row, read=True))
                changed.append(notification_id)
        return changed

    def mark_all_read(self) -> list[int]:
        """Show every row as read (one dataChanged); returns the ids that were unread."""
        changed = [row.id for row in self._rows if not row.read]
        if not changed:
            return []
        self._rows = [row if row.read else replace(row, read=True) for row in self._rows]
        self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, self.columnCount() - 1))
        return changed

    # --- reading ----------------------------------------------------------------------------------
    @property
    def unread_count(self) -> int:
        return sum(1 for row in self._rows if not row.read)

    def notification(self, row: int) -> Notification:
        return self.row_object(row)
