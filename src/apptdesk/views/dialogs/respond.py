"""Answer a proposed appointment: accept it, or reject it with an optional reason."""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from apptdesk.api import Appointment
from apptdesk.domain import Action, AppointmentStatus
from apptdesk.models import formatting as fmt
from apptdesk.models.session import AppSession
from apptdesk.views.dialogs.common import (
    ActionDialog,
    ReasonEdit,
    button_box,
    chain_focus,
    heading,
    push_button,
    value_label,
    zone_note,
)
from apptdesk.views.tasks import async_slot


class RespondDialog(ActionDialog):
    """Shows the proposal (time, duration, who proposed it, the full purpose) with Accept and Reject.

    On success: ``result_appointment`` (accepted or rejected), ``succeeded`` emitted, dialog accepted.
    """

    def __init__(
        self, session: AppSession, appointment: Appointment, zone: tzinfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, parent, object_name="respondDialog", title="Respond to Appointment Request")
        self.zone = zone
        self.appointment = appointment
        self.unsent = "your answer was not sent"

        self.heading = heading("", "respondHeading")
        self.case_label = value_label("", "caseLabel", "Case")
        self.time_label = value_label("", "timeLabel", "Proposed time")
        self.zone_label = value_label("", "zoneLabel")
        self.duration_label = value_label("", "durationLabel", "Duration")
        self.proposer_label = value_label("", "proposedByLabel", "Proposed by")
        self.purpose_view = QPlainTextEdit()
        self.purpose_view.setObjectName("purposeView")
        self.purpose_view.setAccessibleName("Purpose")
        self.purpose_view.setReadOnly(True)
        self.purpose_view.setTabChangesFocus(True)
        self.purpose_view.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.purpose_view.setPlaceholderText("No purpose was given.")
        self.purpose_view.setMinimumHeight(self.purpose_view.fontMetrics().lineSpacing() * 4 + 12)
        self.reason = ReasonEdit(accessible_name="Reason for rejecting (optional)")
        self.reason_edit = self.reason.edit

        self.accept_button = push_button("&Accept", "dialogAcceptButton", "Accept the appointment")
        self.reject_button = push_button("&Reject", "dialogRejectButton", "Reject the appointment")
        self.close_button = push_button("Close", "closeButton")
        self.action_buttons = [self.accept_button, self.reject_button]

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Case:", self.case_label)
        form.addRow("When:", self.time_label)
        form.addRow("", self.zone_label)
        form.addRow("Duration:", self.duration_label)
        form.addRow("Proposed by:", self.proposer_label)
        purpose_label = QLabel("P&urpose:")
        purpose_label.setBuddy(self.purpose_view)
        form.addRow(purpose_label, self.purpose_view)
        reason_label = QLabel("If you reject it, you can say why (optional):")
        reason_label.setObjectName("reasonLabel")
        reason_label.setBuddy(self.reason_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(form)
        layout.addSpacing(4)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason)
        layout.addWidget(self.error_label)
        layout.addWidget(button_box([self.accept_button], self.close_button, [self.reject_button]))
        self.accept_button.setDefault(True)  # only once inside the dialog does Qt register it
        chain_focus(
            self.purpose_view, self.reason_edit, self.accept_button, self.reject_button, self.close_button
        )
        self.setMinimumWidth(520)

        self.accept_button.clicked.connect(self.accept_appointment)
        self.reject_button.clicked.connect(self.reject_appointment)
        self.close_button.clicked.connect(self.reject)
        self.reason.limitChanged.connect(lambda _within: self._update_buttons())
        self.show_current(appointment)
        self.accept_button.setFocus()

    def show_current(self, appointment: Appointment) -> None:
        self.heading.setText(f"{appointment.proposed_by.name} proposed this time")
        self.case_label.setText(appointment.case_id)
        self.time_label.setText(fmt.time_range(appointment, self.zone))
        self.zone_label.setText(zone_note(self.zone, appointment.start))
        self.duration_label.setText(fmt.duration(appointment.duration_minutes))
        self.proposer_label.setText(
            f"{appointment.proposed_by.name} ({fmt.role_label(appointment.proposed_by.role)})"
        )
        self.purpose_view.setPlainText(appointment.purpose or "")
        self._update_buttons()

    def _update_buttons(self) -> None:
        appointment = self.appointment
        user = self.session.user
        allowed = appointment.allowed_actions(user) if appointment is not None and user else frozenset()
        self.enable_action(self.accept_button, Action.ACCEPT in allowed)
        self.enable_action(self.reject_button, Action.REJECT in allowed and self.reason.within_limit())
        if not self.stale and appointment is not None and not ({Action.ACCEPT, Action.REJECT} & allowed):
            self.error_label.show_message(
                f"This appointment is {appointment.status.value} and no longer waits for your answer."
                if appointment.status is not AppointmentStatus.PENDING
                else "This appointment is waiting for the other participant's answer, not yours."
            )

    def _controls(self) -> list[QWidget]:
        return [self.reason_edit, self.accept_button, self.reject_button, self.close_button]

    @async_slot()
    async def accept_appointment(self) -> None:
        appointment = self.appointment
        if self.sending or appointment is None:
            return
        await self.submit(lambda: self.session.accept(appointment), self._controls())

    @async_slot()
    async def reject_appointment(self) -> None:
        appointment = self.appointment
        if self.sending or appointment is None or not self.reason.within_limit():
            return
        reason = self.reason.reason()
        await self.submit(lambda: self.session.reject(appointment, reason), self._controls())
