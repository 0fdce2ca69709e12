"""Live updates: the event stream, applied to the open windows as events arrive.

An appointment event fetches that appointment once and announces it through the session, so every
open table updates (or inserts) that row in place; notification events go to the inbox. After a
start without a known position (first connection, or the server forgot us) the window reloads once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import shiboken6
from PySide6.QtCore import QObject, Signal

from apptdesk.api import ApiError, NotFound
from apptdesk.api.live import EventStream, LiveState, LiveStatus
from apptdesk.api.types import LiveEvent
from apptdesk.models.inbox import Inbox
from apptdesk.models.session import AppSession

log = logging.getLogger(__name__)


class LiveUpdates(QObject):
    stateChanged = Signal(object)  # LiveStatus
    resyncNeeded = Signal()  # events may have been missed: reload what is shown

    def __init__(self, session: AppSession, inbox: Inbox, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.inbox = inbox
        self.status: LiveStatus | None = None
        self._task: asyncio.Task[None] | None = None
        self._stream: EventStream | None = None
        self._seen_first_connect = False
        # Appointment fetches run one by one, in event order, apart from the stream: stopping the stream
        # never cancels a request half-way (encode/httpcore#1115), the worker just drains and ends.
        self._fetches: asyncio.Queue[int | None] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, read_timeout: float = 45.0) -> None:
        """Hold the stream for the current sign-in (a running one is replaced)."""
        self.stop()
        api = self.session.api
        if api is None or api.user is None:
            return
        self._seen_first_connect = False
        self._stream = EventStream(api, on_state=self._state, read_timeout=read_timeout)
        self._task = asyncio.ensure_future(self._stream.run(self._apply))
        self._fetches = asyncio.Queue()
        self._worker = asyncio.ensure_future(self._fetch_changed(self._fetches))

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._worker is not None:
            self._fetches.put_nowait(None)  # the worker finishes what is queued, then ends
        self._task = None
        self._worker = None
        self._stream = None

    async def stop_and_wait(self) -> None:
        """Stop, and return once nothing of it runs (before closing the API client under it)."""
        task, worker = self._task, self._worker
        self.stop()
        for running in (task, worker):
            if running is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await running

    def _state(self, status: LiveStatus) -> None:
        if not shiboken6.isValid(self):
            return  # the window closed while the stream wound down
        self.status = status
        self.stateChanged.emit(status)
        if status.state is LiveState.CONNECTED and not status.resumed:
            # Nothing to replay from: what happened before this connection is not in the stream.
            if self._seen_first_connect:
                self.resyncNeeded.emit()
            self._seen_first_connect = True

    async def _fetch_changed(self, queue: asyncio.Queue[int | None]) -> None:
        while (appointment_id := await queue.get()) is not None:
            if not shiboken6.isValid(self):
                return
            try:
                await self.session.appointment(appointment_id)  # announces appointmentChanged
            except NotFound:
                log.info("appointment %s is no longer visible", appointment_id)
            except ApiError as exc:
                log.warning("could not load appointment %s: %r", appointment_id, exc)

    async def _apply(self, event: LiveEvent) -> None:
        if not shiboken6.isValid(self):
            return
        if event.type.startswith("appointment.") and event.appointment_id is not None:
            self._fetches.put_nowait(event.appointment_id)
        elif event.type == "notification.created":
            self.inbox.add_live(dict(event.data))
        elif event.type == "notification.read":
            data = dict(event.data)
            count = data.get("unread_count")
            if data.get("all"):
                self.inbox.mark_all_read()
            else:
                ids = data.get("notification_ids") or []
                self.inbox.mark_read([int(i) for i in ids], int(count) if isinstance(count, int) else None)
