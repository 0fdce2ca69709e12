"""Propose a new time for an appointment: the current time on the left, the proposal on the right."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from apptdesk.api import Appointment
from apptdesk.models import formatting as fmt
from apptdesk.models.session import AppSession
from apptdesk.views.dialogs.common import (
    ActionDialog,
    DateTimeField,
    DurationSpin,
    button_box,
    chain_focus,
    push_button,
    value_label,
    zone_note,
)
from apptdesk.views.tasks import async_slot

NOTE = "The other participant will be asked to accept the new time."


class RescheduleDialog(ActionDialog):
    """On success: ``result_appointment`` (pending again, awaiting the other participant), ``succeeded``."""

    def __init__(
        self, session: AppSession, appointment: Appointment, zone: tzinfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, parent, object_name="rescheduleDialog", title="Reschedule Appointment")
        self.zone = zone
        self.appointment = appointment
        self.unsent = "the new time was not proposed"

        self.current_time = value_label("", "currentTimeLabel", "Current time")
        self.current_duration = value_label("", "currentDurationLabel", "Current duration")
        self.current_with = value_label("", "currentWithLabel", "With")
        self.current_zone = value_label("", "currentZoneLabel")
        current = QGroupBox("Current time")
        current.setObjectName("currentGroup")
        current_form = QFormLayout(current)
        current_form.addRow("When:", self.current_time)
        current_form.addRow("", self.current_zone)
        current_form.addRow("Duration:", self.current_duration)
        current_form.addRow("With:", self.current_with)

        self.start = DateTimeField(zone, accessible_name="New start date and time", parent=self)
        self.start_edit = self.start.edit
        self.duration_spin = DurationSpin(appointment.duration_minutes)
        self.duration_spin.setAccessibleName("New duration in minutes")
        self.start.set_value(appointment.start)
        self._initial_wall = self.start.wall()
        self._initial_duration = appointment.duration_minutes
        proposed = QGroupBox("Proposed new time")
        proposed.setObjectName("proposedGroup")
        proposed_form = QFormLayout(proposed)
        proposed_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        start_label = QLabel("&Start:")
        start_label.setBuddy(self.start_edit)
        proposed_form.addRow(start_label, self.start)
        duration_label = QLabel("&Duration:")
        duration_label.setBuddy(self.duration_spin)
        proposed_form.addRow(duration_label, self.duration_spin)

        self.note = QLabel(NOTE)
        self.note.setObjectName("rescheduleNote")
        self.note.setWordWrap(True)
        self.propose_button = push_button("Propose New Time", "proposeTimeButton")
        self.close_button = push_button("Close", "closeButton")
        self.action_buttons = [self.propose_button]
        self.field_widgets = {"start": self.start_edit, "duration_minutes": self.duration_spin}

        side_by_side = QHBoxLayout()
        side_by_side.addWidget(current, 1)
        side_by_side.addWidget(proposed, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(side_by_side)
        layout.addSpacing(4)
        layout.addWidget(self.note)
        layout.addWidget(self.error_label)
        layout.addWidget(button_box([self.propose_button], self.close_button))
        self.propose_button.setDefault(True)  # only once inside the dialog does Qt register it
        chain_focus(*self._controls())
        self.setMinimumWidth(640)

        self.propose_button.clicked.connect(self.propose)
        self.close_button.clicked.connect(self.reject)
        self.show_current(appointment)
        self.start_edit.setFocus()

    def show_current(self, appointment: Appointment) -> None:
        self.current_time.setText(fmt.time_range(appointment, self.zone))
        self.current_zone.setText(zone_note(self.zone, appointment.start))
        self.current_duration.setText(fmt.duration(appointment.duration_minutes))
        self.current_with.setText(fmt.participant(appointment, self.session.user))

    def changes(self) -> dict[str, Any]:
        """The keyword arguments for ``session.update``: the start and/or duration the user changed."""
        changed: dict[str, Any] = {}
        if self.start.wall() != self._initial_wall:
            changed["start"] = self.start.value()
        if self.duration_spin.value() != self._initial_duration:
            changed["duration_minutes"] = self.duration_spin.value()
        return changed

    def _controls(self) -> list[QWidget]:
        return [self.start_edit, self.duration_spin, self.propose_button, self.close_button]

    @async_slot()
    async def propose(self) -> None:
        appointment = self.appointment
        if self.sending or appointment is None:
            return
        changes = self.changes()
        if not changes:
            self.show_error("Choose a start or duration different from the current one.", self.start_edit)
            return
        problem = self.start.problem() if "start" in changes else None
        if problem:
            self.show_error(problem, self.start_edit)
            return
        update = self.session.update
        await self.submit(
            lambda: update(appointment, **changes), self._controls(), focus_after=self.propose_button
        )
