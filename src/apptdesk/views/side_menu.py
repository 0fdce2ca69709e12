"""The side menu: Cases; Appointments → My Appointments."""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget


class Page(Enum):
    CASES = "cases"
    MY_APPOINTMENTS = "my_appointments"


class SideMenu(QTreeWidget):
    pageChosen = Signal(object)  # Page

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sideMenu")
        self.setAccessibleName("Navigation")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(14)
        self.setFixedWidth(200)
        self.setStyleSheet("QTreeWidget { padding-top: 6px; } QTreeWidget::item { padding: 6px 4px; }")
        self._cases = QTreeWidgetItem(["Cases"])
        self._cases.setData(0, Qt.ItemDataRole.UserRole, Page.CASES)
        appointments = QTreeWidgetItem(["Appointments"])
        appointments.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self._mine = QTreeWidgetItem(["My Appointments"])
        self._mine.setData(0, Qt.ItemDataRole.UserRole, Page.MY_APPOINTMENTS)
        appointments.addChild(self._mine)
        self.addTopLevelItem(self._cases)
        self.addTopLevelItem(appointments)
        self.expandAll()
        self.currentItemChanged.connect(self._changed)

    def _changed(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        page = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        if isinstance(page, Page):
            self.pageChosen.emit(page)

    def select(self, page: Page) -> None:
        item = self._cases if page is Page.CASES else self._mine
        if self.currentItem() is not item:
            self.blockSignals(True)
            self.setCurrentItem(item)
            self.blockSignals(False)

    def set_unread(self, count: int) -> None:
        self._mine.setText(0, f"My Appointments ({count})" if count else "My Appointments")
