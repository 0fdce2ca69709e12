"""The list filters shared by GET /appointments and GET /cases/{id}/appointments."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, Query

from apptdesk.domain import AppointmentStatus
from apptdesk.server.problems import ProblemError
from apptdesk.server.services.appointments import Filters

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def _date_or_datetime(name: str, text: str | None) -> datetime | date | None:
    if text is None or text == "":
        return None
    value: date
    try:
        if "T" in text.upper() or " " in text.strip():
            moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
            if moment.tzinfo is None:
                raise ValueError
            value = moment.astimezone(UTC)  # years 1 and 9999 can overflow
        else:
            value = date.fromisoformat(text.strip())
        # A whole day in the caller's zone must still be a representable UTC time.
        if not 1 < value.year < 9999:
            raise ValueError
        return value
    except (ValueError, OverflowError):
        raise ProblemError(
            422, f"{name}: must be a date (2026-12-01) or a date and time with offset (2026-12-01T09:00:00Z)."
        ) from None


def case_filters(
    status: Annotated[list[AppointmentStatus] | None, Query(description="Repeat for several.")] = None,
    start_from: Annotated[
        str | None,
        Query(alias="from", max_length=64, description="Date (whole day, your zone) or RFC 3339; inclusive."),
    ] = None,
    start_to: Annotated[
        str | None,
        Query(
            alias="to",
            max_length=64,
            description="Date (through that day, your zone) or RFC 3339; exclusive.",
        ),
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="Case ID, title, names or purpose.")] = None,
) -> Filters:
    return Filters(
        statuses=frozenset(status or ()),
        start_from=_date_or_datetime("from", start_from),
        start_to=_date_or_datetime("to", start_to),
        text=q.strip() if q and q.strip() else None,
    )


CaseFilters = Annotated[Filters, Depends(case_filters)]


def list_filters(
    filters: CaseFilters, case_id: Annotated[str | None, Query(max_length=64)] = None
) -> Filters:
    return replace(filters, case_id=case_id or None)


ListFilters = Annotated[Filters, Depends(list_filters)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=512)]
