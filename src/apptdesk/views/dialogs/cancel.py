"""Confirm canceling an appointment, with an optional reason for the other participant."""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from apptdesk.api import Appointment
from apptdesk.models import formatting as fmt
from apptdesk.models.session import AppSession
from apptdesk.views.dialogs.common import (
    ActionDialog,
    ReasonEdit,
    button_box,
    chain_focus,
    heading,
    push_button,
)
from apptdesk.views.tasks import async_slot


class CancelDialog(ActionDialog):
    """On success: ``result_appointment`` (canceled), ``succeeded`` emitted, dialog accepted.

    "Keep Appointment" is the default button: Enter never cancels by accident.
    """

    def __init__(
        self, session: AppSession, appointment: Appointment, zone: tzinfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, parent, object_name="cancelDialog", title="Cancel Appointment")
        self.zone = zone
        self.appointment = appointment
        self.unsent = "it was not canceled"

        self.question = heading("", "cancelQuestion")
        self.detail = QLabel()
        self.detail.setObjectName("cancelDetail")
        self.detail.setWordWrap(True)
        self.reason = ReasonEdit(
            placeholder="Why it is canceled", accessible_name="Reason for canceling (optional)"
        )
        self.reason_edit = self.reason.edit
        reason_label = QLabel("&Reason (optional):")
        reason_label.setBuddy(self.reason_edit)

        self.confirm_button = push_button("&Cancel Appointment", "confirmCancelButton")
        self.keep_button = push_button("&Keep Appointment", "keepAppointmentButton")
        self.action_buttons = [self.confirm_button]
        self.field_widgets = {"reason": self.reason_edit}

        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.detail)
        layout.addSpacing(6)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason)
        layout.addWidget(self.error_label)
        layout.addWidget(button_box([self.keep_button], None, [self.confirm_button]))
        self.keep_button.setDefault(True)  # only once inside the dialog does Qt register it
        chain_focus(self.reason_edit, self.confirm_button, self.keep_button)
        self.setMinimumWidth(480)

        self.confirm_button.clicked.connect(self.cancel_appointment)
        self.keep_button.clicked.connect(self.reject)
        self.reason.limitChanged.connect(lambda within: self.enable_action(self.confirm_button, within))
        self.show_current(appointment)
        self.reason_edit.setFocus()

    def show_current(self, appointment: Appointment) -> None:
        user = self.session.user
        other = appointment.other_party(user) if user is not None else None
        with_whom = other.name if other else f"{appointment.requester.name} and {appointment.provider.name}"
        self.question.setText(
            f"Cancel the appointment on {fmt.when(appointment.start, self.zone)} with {with_whom}?"
        )
        told = other.name if other else "The participants"
        self.detail.setText(f"{told} will see that it was canceled, and your reason if you give one.")

    @async_slot()
    async def cancel_appointment(self) -> None:
        appointment = self.appointment
        if self.sending or appointment is None or not self.reason.within_limit():
            return
        reason = self.reason.reason()
        controls = [self.reason_edit, self.confirm_button, self.keep_button]
        await self.submit(lambda: self.session.cancel(appointment, reason), controls)
