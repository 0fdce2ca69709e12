"""The vocabulary: user roles and appointment statuses."""

from enum import StrEnum


class Role(StrEnum):
    REQUESTER = "requester"
    PROVIDER = "provider"
    ADMIN = "admin"


class AppointmentStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELED = "canceled"
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


FINAL_STATUSES = frozenset(
    {AppointmentStatus.REJECTED, AppointmentStatus.CANCELED, AppointmentStatus.COMPLETED}
)
