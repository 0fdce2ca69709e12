"""Running async work from widgets: controls stay usable-looking, errors go to one place.

``async with working(sink, button, ...)`` disables the given widgets and shows a busy cursor, and in
``finally`` restores them, whatever happened. Expected failures (``ApiError``: the server said no, or
cannot be reached) become a plain-language message on the sink; anything else is a bug: it is logged
and handed to ``sys.excepthook`` too (the app shows it; tests fail on it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import qasync
import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from apptdesk.api import ApiError

log = logging.getLogger(__name__)


class ErrorSink(QObject):
    """Where every error of the window goes; the main window's banner shows it."""

    raised = Signal(str, object)  # message for a person, the exception

    def report(self, exc: BaseException, doing: str = "") -> None:
        if isinstance(exc, ApiError):
            log.warning("%s failed: %r", doing or "request", exc)
            self.raised.emit(exc.user_message, exc)
            return
        log.error("unexpected error while %s", doing or "working", exc_info=exc)
        self.raised.emit("Something unexpected went wrong. It has been logged; please try again.", exc)
        sys.excepthook(type(exc), exc, exc.__traceback__)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def async_slot(
    *types: type,
) -> Callable[[Callable[_P, Coroutine[Any, Any, _R]]], Callable[_P, asyncio.Task[_R]]]:
    """``qasync.asyncSlot``, typed: calling the coroutine method (or emitting a signal connected to it)
    starts it as a task and returns that task; the Qt event loop never blocks.

    Exceptions other than cancellation reach ``sys.excepthook`` (the app reports them; tests fail).
    """
    decorator: Callable[[Callable[_P, Coroutine[Any, Any, _R]]], Callable[_P, asyncio.Task[_R]]]
    decorator = qasync.asyncSlot(*types)
    return decorator


def message_for(exc: BaseException) -> str:
    return exc.user_message if isinstance(exc, ApiError) else "Something unexpected went wrong."


@contextlib.asynccontextmanager
async def busy(*widgets: QWidget | None) -> AsyncIterator[None]:
    """Disable ``widgets`` and show a busy cursor; restore both in ``finally``."""
    states = [(w, w.isEnabled()) for w in widgets if w is not None]
    for widget, _ in states:
        widget.setEnabled(False)
    QGuiApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
    try:
        yield
    finally:
        QGuiApplication.restoreOverrideCursor()
        for widget, enabled in states:
            with contextlib.suppress(RuntimeError):  # the widget may be gone already
                widget.setEnabled(enabled)


@contextlib.asynccontextmanager
async def working(sink: ErrorSink, *widgets: QWidget | None, doing: str = "") -> AsyncIterator[None]:
    """``busy`` plus: any exception is reported to ``sink`` instead of escaping the slot."""
    async with busy(*widgets):
        try:
            yield
        except Exception as exc:
            if shiboken6.isValid(sink):
                sink.report(exc, doing)
            else:  # the window closed while this ran: nobody is left to tell
                log.info("%s failed after its window closed: %r", doing or "work", exc)


def set_accessible(widget: QWidget, name: str, description: str = "") -> Any:
    widget.setAccessibleName(name)
    if description:
        widget.setAccessibleDescription(description)
    return widget
