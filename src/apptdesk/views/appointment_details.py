"""The selected appointment in full, under the table: time, people, purpose, reason."""

from __future__ import annotations

import html
from datetime import tzinfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from apptdesk.api import Appointment, User
from apptdesk.models import formatting as fmt


class AppointmentDetails(QFrame):
    def __init__(self, zone: tzinfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("appointmentDetails")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.zone = zone
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.label)
        self.show_appointment(None, None)

    def show_appointment(self, appointment: Appointment | None, user: User | None) -> None:
        if appointment is None:
            self.label.setText("<i>Select an appointment to see its details.</i>")
            self.setAccessibleName("No appointment selected")
            return
        e = html.escape
        rows = [
            (
                "When",
                f"{fmt.time_range(appointment, self.zone)} ({fmt.duration(appointment.duration_minutes)})",
            ),
            ("Status", fmt.status_text(appointment, user)),
            ("Requested by", f"{appointment.created_by.name} ({fmt.role_label(appointment.type)})"),
            ("Current time proposed by", appointment.proposed_by.name),
        ]
        if appointment.reason:
            rows.append(("Reason", appointment.reason))
        body = "".join(
            f"<tr><td style='padding-right:12px'><b>{e(k)}</b></td><td>{e(v)}</td></tr>" for k, v in rows
        )
        purpose = (
            e(appointment.purpose).replace("\n", "<br>")
            if appointment.purpose
            else "<i>No purpose given.</i>"
        )
        self.label.setText(f"<table>{body}</table><p><b>Purpose</b><br>{purpose}</p>")
        self.setAccessibleName(f"Appointment details: {fmt.time_range(appointment, self.zone)}")
