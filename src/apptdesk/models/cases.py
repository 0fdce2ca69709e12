"""The case list: case ID, title, requester, provider, pending appointments."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from apptdesk.api import Case
from apptdesk.models.paged import PagedRowsModel
from apptdesk.models.rows import Column

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class CasesModel(PagedRowsModel[Case]):
    COL_ID, COL_TITLE, COL_REQUESTER, COL_PROVIDER, COL_PENDING = range(5)

    def __init__(self, parent: Any = None) -> None:
        columns = [
            Column[Case]("Case ID", lambda c: c.id),
            Column[Case]("Title", lambda c: c.title, tooltip=lambda c: c.title),
            Column[Case]("Requester", lambda c: c.requester.name),
            Column[Case]("Provider", lambda c: c.provider.name),
            Column[Case](
                "Pending",
                lambda c: str(c.pending_appointments) if c.pending_appointments else "—",
                lambda c: c.pending_appointments,
                align=_RIGHT,
            ),
        ]
        super().__init__(columns, key=lambda c: c.id, parent=parent)
