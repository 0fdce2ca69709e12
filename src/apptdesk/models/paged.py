"""A rows model that loads itself page by page from the server (keyset cursor), as the view scrolls.

``canFetchMore``/``fetchMore`` are how Qt's views ask for more rows when the user scrolls near the end;
each page arrives as one ranged insert. ``reload()`` starts over (new filters): one reset. A generation
number drops pages that arrive after a newer reload, so a slow old answer never mixes into a new list.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Signal

from apptdesk.api import Page
from apptdesk.models.rows import Column, RowsModel

T = TypeVar("T")
Fetch = Callable[[str | None], Awaitable[Page[T]]]

log = logging.getLogger(__name__)


class PagedRowsModel(RowsModel[T], Generic[T]):
    loadingChanged = Signal(bool)
    loadFailed = Signal(object)  # the exception; the view shows it in its banner
    loaded = Signal()  # a reload or a page finished

    def __init__(
        self, columns: Sequence[Column[T]], key: Callable[[T], Hashable], parent: Any = None
    ) -> None:
        super().__init__(columns, key, parent)
        self._fetch: Fetch[T] | None = None
        self._cursor: str | None = None
        self._loading = False
        self._generation = 0
        self._task: asyncio.Task[None] | None = None
        self.has_loaded = False  # False until the first page arrived: the view shows "Loading…", not "empty"

    def _may_insert_at(self, position: int) -> bool:
        # At the very end, only when the whole list is loaded: otherwise the row belongs to a later page.
        return position < len(self._rows) or self._cursor is None

    def set_source(self, fetch: Fetch[T]) -> None:
        self._fetch = fetch

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def more_available(self) -> bool:
        return self._cursor is not None

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._cursor is not None and not self._loading

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._start(self._load(self._cursor, self._generation))

    async def reload(self) -> None:
        """Load the first page again (filters changed, F5, a retry). Returns when it has arrived."""
        self._generation += 1
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._cursor = None
        await self._load(None, self._generation)

    async def load_more(self) -> None:
        """Load the next page now (tests, and 'load everything' actions)."""
        if self._cursor is not None and not self._loading:
            await self._load(self._cursor, self._generation)

    def _start(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception as exc:  # shown by the view; never an unhandled task error
                if shiboken6.isValid(self):  # the page may have been closed while it loaded
                    self.loadFailed.emit(exc)

        self._task = asyncio.ensure_future(run())

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loadingChanged.emit(loading)

    async def _load(self, cursor: str | None, generation: int) -> None:
        if self._fetch is None:
            return
        self._set_loading(True)
        try:
            page = await self._fetch(cursor)
        finally:
            if shiboken6.isValid(self) and generation == self._generation:
                self._set_loading(False)
        if not shiboken6.isValid(self) or generation != self._generation:
            return  # a newer reload started meanwhile
        if cursor is None:
            self.set_rows(page.items)
        else:
            self.append_rows(page.items)
        self._cursor = page.next_cursor
        self.has_loaded = True
        self.loaded.emit()
