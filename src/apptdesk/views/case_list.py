"""The Case List: where the window opens after sign-in."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from apptdesk.api import Case
from apptdesk.models.cases import CasesModel
from apptdesk.models.rows import ObjectRole
from apptdesk.models.session import AppSession
from apptdesk.views.table import TableWithPlaceholder, make_table
from apptdesk.views.tasks import ErrorSink


class CaseListPage(QWidget):
    openCase = Signal(str)

    def __init__(self, session: AppSession, sink: ErrorSink, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseListPage")
        self.session = session
        self.sink = sink
        self.model = CasesModel(self)
        self.model.set_source(session.cases)
        self.heading = QLabel("<h2>Cases</h2>")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(4)
        self.progress.setTextVisible(False)
        self.progress.setAccessibleName("Loading cases")
        self.progress.hide()
        self.view = make_table("caseListView", self.model, stretch=[CasesModel.COL_TITLE])
        self.view.setAccessibleName("Cases")
        self.view.doubleClicked.connect(self._open_index)
        self.view.installEventFilter(self)
        self.body = TableWithPlaceholder(self.view)
        self.body.show_placeholder("Loading cases…")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 16)
        layout.addWidget(self.heading)
        layout.addWidget(self.progress)
        layout.addWidget(self.body, 1)
        self.model.loadingChanged.connect(self.progress.setVisible)
        self.model.loaded.connect(self._update_placeholder)
        self.model.loadFailed.connect(lambda exc: self.sink.report(exc, "loading cases"))

    def set_admin(self, admin: bool) -> None:
        self.heading.setText("<h2>All Cases</h2>" if admin else "<h2>Cases</h2>")

    async def refresh(self) -> None:
        await self.model.reload()

    def clear(self) -> None:
        self.model.set_rows([])
        self.model.has_loaded = False
        self.body.show_placeholder("Loading cases…")

    def _update_placeholder(self) -> None:
        if self.model.rowCount():
            self.body.show_table()
            if not self.view.currentIndex().isValid():
                self.view.selectRow(0)
        else:
            self.body.show_placeholder(
                "You have no cases yet. Cases arrive from the second-opinion platform."
            )

    def selected_case(self) -> Case | None:
        index = self.view.currentIndex()
        value = index.data(ObjectRole) if index.isValid() else None
        return value if isinstance(value, Case) else None

    def _open_index(self, index: QModelIndex) -> None:
        case = index.data(ObjectRole)
        if isinstance(case, Case):
            self.openCase.emit(case.id)

    def eventFilter(self, watched: object, event: object) -> bool:
        if watched is self.view and is_enter(event):
            case = self.selected_case()
            if case is not None:
                self.openCase.emit(case.id)
                return True
        return False


def is_enter(event: object) -> bool:
    return (
        isinstance(event, QKeyEvent)
        and event.type() == QKeyEvent.Type.KeyPress
        and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
    )
