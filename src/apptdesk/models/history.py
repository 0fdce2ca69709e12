"""An appointment's history as a table: when, who, what happened, and how the status moved."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from apptdesk.api import HistoryEntry
from apptdesk.models import formatting as fmt
from apptdesk.models.rows import Column, RowsModel

ACTION_LABELS = {
    "created": "Created",
    "edited": "Edited",
    "rescheduled": "Rescheduled",
    "accepted": "Accepted",
    "rejected": "Rejected",
    "canceled": "Canceled",
    "completed": "Completed",
    "expired": "Expired",
}
SYSTEM = "System"

__all__ = ["ACTION_LABELS", "SYSTEM", "HistoryModel", "actor_name", "describe", "details", "status_change"]


class HistoryModel(RowsModel[HistoryEntry]):
    """One row per history entry, oldest first as the server sends them."""

    COL_WHEN, COL_WHO, COL_WHAT, COL_STATUS = range(4)

    def __init__(self, zone: tzinfo | None = None, parent: Any = None) -> None:
        zone = zone or fmt.local_zone()
        columns = [
            Column[HistoryEntry]("When", lambda e: fmt.when(e.at, zone), lambda e: (e.at, e.id)),
            Column[HistoryEntry]("Who", actor_name),
            Column[HistoryEntry]("What", lambda e: describe(e, zone), tooltip=lambda e: details(e, zone)),
            Column[HistoryEntry]("Status", status_change),
        ]
        super().__init__(columns, key=lambda e: e.id, parent=parent)


def actor_name(entry: HistoryEntry) -> str:
    return entry.actor.name if entry.actor is not None else SYSTEM


def status_change(entry: HistoryEntry) -> str:
    """``Pending → Accepted``; just ``Pending`` when it did not move (created, edited)."""
    if entry.from_status is None or entry.from_status is entry.to_status:
        return entry.to_status.label
    return f"{entry.from_status.label} → {entry.to_status.label}"


def describe(entry: HistoryEntry, zone: tzinfo | None = None) -> str:
    """One line: ``Rescheduled: start Tue 01 Dec 09:00 → 11:00``, ``Rejected — reason: …``."""
    zone = zone or fmt.local_zone()
    label = ACTION_LABELS.get(entry.action, entry.action.replace("_", " ").capitalize())
    if entry.action == "created":
        start = _moment(entry.changes.get("start", (None, None))[1])
        minutes = entry.changes.get("duration_minutes", (None, None))[1]
        parts = []
        if start is not None:
            parts.append(_short(start, zone))
        if isinstance(minutes, int):
            parts.append(fmt.duration(minutes))
        text = f"{label}: {', '.join(parts)}" if parts else label
    else:
        changed = _changes(entry.changes, zone)
        text = f"{label}: {'; '.join(changed)}" if changed else label
    if entry.reason:
        text += f" — reason: {fmt.first_line(entry.reason, 120)}"
    return text


def details(entry: HistoryEntry, zone: tzinfo | None = None) -> str:
    """The tooltip: the line above plus the full purpose and reason texts."""
    lines = [describe(entry, zone)]
    purpose = entry.changes.get("purpose")
    if purpose is not None:
        old, new = purpose
        if old:
            lines.append(f"Purpose before: {old}")
        lines.append(f"Purpose now: {new}" if new else "Purpose removed.")
    if entry.reason:
        lines.append(f"Reason: {entry.reason}")
    return "\n".join(lines)


def _changes(changes: Mapping[str, tuple[Any, Any]], zone: tzinfo) -> list[str]:
    parts: list[str] = []
    if "start" in changes:
        old, new = (_moment(value) for value in changes["start"])
        if old is not None and new is not None:
            old_local, new_local = old.astimezone(zone), new.astimezone(zone)
            after = f"{new_local:%H:%M}" if old_local.date() == new_local.date() else _short(new, zone)
            parts.append(f"start {_short(old, zone)} → {after}")
        elif new is not None:
            parts.append(f"start → {_short(new, zone)}")
        else:
            parts.append("start changed")
    if "duration_minutes" in changes:
        old, new = changes["duration_minutes"]
        if isinstance(old, int) and isinstance(new, int):
            parts.append(f"duration {fmt.duration(old)} → {fmt.duration(new)}")
        else:
            parts.append("duration changed")
    if "purpose" in changes:
        old, new = changes["purpose"]
        parts.append("purpose added" if not old else "purpose removed" if not new else "purpose changed")
    return parts


def _moment(value: Any) -> datetime | None:
    """A time from the history's JSON (RFC 3339 text); None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _short(moment: datetime, zone: tzinfo) -> str:
    """``Tue 01 Dec 09:00``, with the year when it is not this year."""
    local = moment.astimezone(zone)
    if local.year != datetime.now(zone).year:
        return local.strftime("%a %d %b %Y %H:%M")
    return local.strftime("%a %d %b %H:%M")
