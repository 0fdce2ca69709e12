"""The signed-in user's notifications: the list, the unread count, and which appointments are unread.

Fed by the server (a load at sign-in) and by the live stream (each new or read notification); the
badges, the bold rows, the panel and the tray all read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import Any

from PySide6.QtCore import QObject, Signal

from apptdesk.api import Notification
from apptdesk.models.notifications import NotificationsModel
from apptdesk.models.unread import UnreadCounter


class Inbox(QObject):
    changed = Signal()  # which appointments are unread changed: tables re-bold their rows
    arrived = Signal(object)  # a new Notification, as it arrives live (the tray pops it up)

    def __init__(
        self, counter: UnreadCounter, zone: tzinfo | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.counter = counter
        self.model = NotificationsModel(zone, parent=self)
        self._unread_by_appointment: dict[int, set[int]] = {}

    def unread_appointment_ids(self) -> frozenset[int]:
        return frozenset(self._unread_by_appointment)

    def is_unread(self, appointment_id: int) -> bool:
        return appointment_id in self._unread_by_appointment

    def unread_for(self, appointment_id: int) -> list[int]:
        return sorted(self._unread_by_appointment.get(appointment_id, ()))

    def load(self, notifications: Iterable[Notification], unread_count: int) -> None:
        items = list(notifications)
        self.model.set_notifications(items)
        self._unread_by_appointment = {}
        for item in items:
            if not item.read:
                self._unread_by_appointment.setdefault(item.appointment_id, set()).add(item.id)
        self.counter.set_count(unread_count)
        self.changed.emit()

    def clear(self) -> None:
        self.load([], 0)

    def add_live(self, data: dict[str, Any]) -> Notification | None:
        """A notification.created event: show it at once, without asking the server."""
        try:
            notification = Notification(
                id=int(data["notification_id"]),
                kind=str(data["kind"]),
                appointment_id=int(data["appointment_id"]),
                case_id=str(data["case_id"]),
                created_at=datetime.now(UTC),
                read=False,
                title=str(data["title"]),
                body=str(data["body"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        if self.model.position_of(notification.id) is not None:
            return None  # already known (a replay after reconnecting)
        self.model.add(notification)
        self._unread_by_appointment.setdefault(notification.appointment_id, set()).add(notification.id)
        self.counter.set_count(self.counter.count + 1)
        self.changed.emit()
        self.arrived.emit(notification)
        return notification

    def mark_read(self, ids: Iterable[int], unread_count: int | None = None) -> None:
        wanted = set(ids)
        self.model.mark_read(wanted)
        for appointment_id in list(self._unread_by_appointment):
            self._unread_by_appointment[appointment_id] -= wanted
            if not self._unread_by_appointment[appointment_id]:
                del self._unread_by_appointment[appointment_id]
        if unread_count is None:
            unread_count = max(0, self.counter.count - len(wanted))
        self.counter.set_count(unread_count)
        self.changed.emit()

    def mark_all_read(self) -> None:
        self.model.mark_all_read()
        self._unread_by_appointment = {}
        self.counter.set_count(0)
        self.changed.emit()
