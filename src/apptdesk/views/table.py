"""How every table in the app looks and behaves, and the placeholder shown when it is empty."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QStackedLayout, QTableView, QWidget

ROW_HEIGHT_EXTRA = 10


def make_table(object_name: str, model: QAbstractItemModel, stretch: Sequence[int] = ()) -> QTableView:
    view = QTableView()
    view.setObjectName(object_name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setSortingEnabled(False)  # the server orders the rows
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)  # Tab leaves the table, arrows move within it
    vertical = view.verticalHeader()
    vertical.setVisible(False)
    # Fixed row heights: Qt need not measure every row, so long lists scroll smoothly.
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(view.fontMetrics().height() + ROW_HEIGHT_EXTRA)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    for column in stretch:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    return view


class TableWithPlaceholder(QWidget):
    """The table, or in its place a sentence saying why it is empty (or that it is still loading)."""

    def __init__(self, table: QTableView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self.placeholder = QLabel()
        self.placeholder.setObjectName(f"{table.objectName()}Placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet("color: palette(placeholder-text); font-size: 13pt; padding: 24px;")
        self._layout = QStackedLayout(self)
        self._layout.addWidget(table)
        self._layout.addWidget(self.placeholder)

    def show_table(self) -> None:
        self._layout.setCurrentWidget(self.table)

    def show_placeholder(self, text: str) -> None:
        self.placeholder.setText(text)
        self._layout.setCurrentWidget(self.placeholder)
