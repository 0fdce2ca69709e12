"""Request an appointment in a case, or edit one the user proposed (then only changed fields are sent)."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from apptdesk.api import Appointment, Case
from apptdesk.domain import Limits
from apptdesk.models import formatting as fmt
from apptdesk.models.session import AppSession
from apptdesk.views.dialogs.common import (
    ActionDialog,
    DateTimeField,
    DurationSpin,
    LimitedTextEdit,
    button_box,
    chain_focus,
    default_start,
    push_button,
    value_label,
)
from apptdesk.views.tasks import async_slot

PURPOSE_PLACEHOLDER = "Optional: what you want to discuss"


class RequestDialog(ActionDialog):
    """New request (``appointment`` None) or edit of ``appointment``.

    On success: ``result_appointment`` holds the created or updated appointment, ``succeeded`` is
    emitted and the dialog accepts. Open it with ``open()``.
    """

    def __init__(
        self,
        session: AppSession,
        case: Case,
        zone: tzinfo,
        parent: QWidget | None = None,
        appointment: Appointment | None = None,
    ) -> None:
        editing = appointment is not None
        super().__init__(
            session,
            parent,
            object_name="requestDialog",
            title="Edit Appointment" if editing else "Request Appointment",
        )
        self.case = case
        self.zone = zone
        self.appointment = appointment
        self.unsent = "your changes were not saved"

        user = session.user
        other = case.provider if user is not None and user.id == case.requester.id else case.requester
        if user is not None and user.id not in (case.requester.id, case.provider.id):
            with_whom = f"{case.requester.name} and {case.provider.name}"
        else:
            with_whom = other.name
        self.case_label = value_label(fmt.first_line(f"{case.id} — {case.title}", 60), "caseLabel", "Case")
        self.case_label.setToolTip(f"{case.id} — {case.title}")
        self.with_label = value_label(with_whom, "withLabel", "With")

        self.start = DateTimeField(zone, parent=self)
        self.start_edit = self.start.edit
        self.duration_spin = DurationSpin(appointment.duration_minutes) if appointment else DurationSpin()
        self.purpose = LimitedTextEdit(
            Limits.PURPOSE_MAX_CHARS,
            object_name="purposeEdit",
            accessible_name="Purpose",
            placeholder=PURPOSE_PLACEHOLDER,
            text=(appointment.purpose or "") if appointment else "",
            lines=5,
        )
        self.purpose_edit = self.purpose.edit
        if appointment is not None:
            self.start.set_value(appointment.start)
        else:
            self.start.set_value(default_start(zone))
        # What the fields started with: an untouched field is not sent, even if the server's value has
        # seconds the editor cannot show.
        self._initial_wall = self.start.wall()
        self._initial_duration = self.duration_spin.value()
        self._initial_purpose = self._purpose_value()

        self.send_button = push_button("Save Changes" if editing else "Send Request", "sendRequestButton")
        self.cancel_button = push_button("Close" if editing else "Cancel", "cancelRequestButton")
        self.action_buttons = [self.send_button]
        self.field_widgets = {
            "start": self.start_edit,
            "duration_minutes": self.duration_spin,
            "purpose": self.purpose_edit,
        }

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Case:", self.case_label)
        form.addRow("With:", self.with_label)
        self._add_row(form, "&Start:", self.start, self.start_edit)
        self._add_row(form, "&Duration:", self.duration_spin, self.duration_spin)
        self._add_row(form, "&Purpose:", self.purpose, self.purpose_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(button_box([self.send_button], self.cancel_button))
        self.send_button.setDefault(True)  # only once inside the dialog does Qt register it
        chain_focus(*self._controls())
        self.setMinimumWidth(500)

        self.send_button.clicked.connect(self.send)
        self.cancel_button.clicked.connect(self.reject)
        self.purpose.limitChanged.connect(self._limit_changed)
        self._limit_changed(self.purpose.within_limit())
        self.start_edit.setFocus()

    @staticmethod
    def _add_row(form: QFormLayout, text: str, field: QWidget, buddy: QWidget) -> None:
        label = QLabel(text)
        label.setBuddy(buddy)
        form.addRow(label, field)

    def _purpose_value(self) -> str | None:
        return self.purpose.text().strip() or None

    def _limit_changed(self, within: bool) -> None:
        self.enable_action(self.send_button, within)

    def changes(self) -> dict[str, Any]:
        """The keyword arguments for ``session.update``: only what the user changed."""
        changed: dict[str, Any] = {}
        if self.start.wall() != self._initial_wall:
            changed["start"] = self.start.value()
        if self.duration_spin.value() != self._initial_duration:
            changed["duration_minutes"] = self.duration_spin.value()
        purpose = self._purpose_value()
        if purpose != self._initial_purpose:
            changed["purpose"] = purpose
            changed["change_purpose"] = True
        return changed

    def _controls(self) -> list[QWidget]:
        return [self.start_edit, self.duration_spin, self.purpose_edit, self.send_button, self.cancel_button]

    @async_slot()
    async def send(self) -> None:
        if self.sending or not self.purpose.within_limit():
            return
        appointment = self.appointment
        if appointment is None:
            problem = self.start.problem()
            if problem:
                self.show_error(problem, self.start_edit)
                return
            start, minutes, purpose = self.start.value(), self.duration_spin.value(), self._purpose_value()
            key = getattr(self.zone, "key", None)
            timezone = key if isinstance(key, str) else None
            await self.submit(
                lambda: self.session.request(self.case.id, start, minutes, purpose, timezone=timezone),
                self._controls(),
                focus_after=self.send_button,
            )
            return
        changes = self.changes()
        if not changes:
            self.show_error("Nothing to save: you have not changed anything.", self.start_edit)
            return
        if "start" in changes:
            problem = self.start.problem()
            if problem:
                self.show_error(problem, self.start_edit)
                return
        update = self.session.update
        await self.submit(
            lambda: update(appointment, **changes), self._controls(), focus_after=self.send_button
        )
