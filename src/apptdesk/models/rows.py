"""A table model over a list of immutable rows, keyed by id, with cheap bulk updates.

Every update is one signal: a whole replacement is one reset, a page is one ranged insert, a changed
row is one dataChanged across its columns. ``ObjectRole`` returns the row object itself (through any
proxy), so views and tests never parse display text back.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

T = TypeVar("T")

ObjectRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column(Generic[T]):
    title: str
    text: Callable[[T], str]
    sort_key: Callable[[T], Any] | None = None
    tooltip: Callable[[T], str] | None = None
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class RowsModel(QAbstractTableModel, Generic[T]):
    def __init__(
        self, columns: Sequence[Column[T]], key: Callable[[T], Hashable], parent: Any = None
    ) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._key = key
        self._rows: list[T] = []
        self._positions: dict[Hashable, int] = {}
        self._bold: Callable[[T], bool] = lambda _row: False

    # --- the Qt interface -------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section].title
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = self._columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == ObjectRole:
            return row
        if role == SortRole:
            return column.sort_key(row) if column.sort_key else column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip:
            return column.tooltip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.align.value)
        if role == Qt.ItemDataRole.FontRole and self._bold(row):
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{column.title}: {column.text(row)}"
        return None

    # --- updates ----------------------------------------------------------------------------------
    def set_rows(self, rows: Iterable[T]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._reindex()
        self.endResetModel()

    def append_rows(self, rows: Iterable[T]) -> None:
        """Add rows at the end (a page of a lazily loaded list); rows already shown are updated instead."""
        new: list[T] = []
        for row in rows:
            if self._key(row) in self._positions:
                self.update_row(row)
            else:
                new.append(row)
        if not new:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._rows.extend(new)
        for offset, row in enumerate(new):
            self._positions[self._key(row)] = first + offset
        self.endInsertRows()

    def update_row(self, row: T) -> bool:
        """Replace the row with the same key in place; False if it is not shown."""
        position = self._positions.get(self._key(row))
        if position is None:
            return False
        self._rows[position] = row
        self.dataChanged.emit(self.index(position, 0), self.index(position, len(self._columns) - 1))
        return True

    def insert_sorted(self, row: T, sort_key: Callable[[T], Any]) -> bool:
        """Show a new row at its place in the order (one ranged insert); update it if already shown.

        False when its place lies beyond the rows loaded so far (a later page will bring it).
        """
        if self.update_row(row):
            return True
        position = bisect.bisect_right([sort_key(r) for r in self._rows], sort_key(row))
        if not self._may_insert_at(position):
            return False
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.insert(position, row)
        self._reindex()
        self.endInsertRows()
        return True

    def _may_insert_at(self, position: int) -> bool:
        return True

    def set_bold_rule(self, rule: Callable[[T], bool]) -> None:
        self._bold = rule
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(self._columns) - 1))

    # --- reading ----------------------------------------------------------------------------------
    def row_object(self, row: int) -> T:
        return self._rows[row]

    def rows(self) -> list[T]:
        return list(self._rows)

    def position_of(self, key: Hashable) -> int | None:
        return self._positions.get(key)

    def _reindex(self) -> None:
        self._positions = {self._key(row): i for i, row in enumerate(self._rows)}
