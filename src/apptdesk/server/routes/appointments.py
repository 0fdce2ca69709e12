"""GET /appointments; GET, PATCH /appointments/{id}; its transitions and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Request, Response

from apptdesk.domain import Action
from apptdesk.server.deps import CurrentUser, ReadSession, State, WriteSession, resource_of
from apptdesk.server.problems import problem_responses
from apptdesk.server.routes.query import DEFAULT_LIMIT, Cursor, Limit, ListFilters
from apptdesk.server.schemas.appointments import AppointmentOut, AppointmentPatch, HistoryEntryOut, ReasonIn
from apptdesk.server.schemas.common import Page
from apptdesk.server.services import appointments
from apptdesk.server.services.audit import record_access
from apptdesk.server.services.present import appointment_out, history_out
from apptdesk.server.services.visibility import is_admin

router = APIRouter(prefix="/appointments", tags=["appointments"])

# The id column is a 32-bit integer on PostgreSQL: a larger id would fail in the driver, not be "not found".
AppointmentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]
_ETAG_HEADER = {
    "ETag": {"description": "The appointment's version, for If-Match.", "schema": {"type": "string"}}
}


@router.get("", response_model=Page[AppointmentOut], responses=problem_responses(400, 401, 422))
async def list_appointments(
    request: Request,
    user: CurrentUser,
    state: State,
    session: ReadSession,
    filters: ListFilters,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[AppointmentOut]:
    rows, next_cursor = await appointments.page(session, user, filters, limit=limit, cursor=cursor)
    if is_admin(user):
        await record_access(state.db, user, resource_of(request), state.now(), None)
    return Page(items=[appointment_out(a) for a in rows], next_cursor=next_cursor)


@router.get(
    "/{appointment_id}",
    response_model=AppointmentOut,
    responses={200: {"headers": _ETAG_HEADER}, **problem_responses(401, 404, 422)},
)
async def get_appointment(
    appointment_id: AppointmentId,
    request: Request,
    response: Response,
    user: CurrentUser,
    state: State,
    session: ReadSession,
) -> AppointmentOut:
    appointment, _ = await appointments.visible(session, user, appointment_id)
    if is_admin(user):
        await record_access(state.db, user, request.url.path, state.now(), appointment.id)
    response.headers["ETag"] = appointments.etag(appointment)
    return appointment_out(appointment)


@router.patch(
    "/{appointment_id}",
    response_model=AppointmentOut,
    responses={
        200: {"headers": _ETAG_HEADER},
        **problem_responses(400, 401, 403, 404, 409, 412, 413, 422, 428),
    },
)
async def change_appointment(
    appointment_id: AppointmentId,
    body: AppointmentPatch,
    response: Response,
    user: CurrentUser,
    state: State,
    session: WriteSession,
    if_match: IfMatch = None,
) -> AppointmentOut:
    appointment = await appointments.change(session, user, appointment_id, body, if_match, state.now())
    response.headers["ETag"] = appointments.etag(appointment)
    return appointment_out(appointment)


async def _transition(
    action: Action,
    appointment_id: int,
    response: Response,
    user: CurrentUser,
    state: State,
    session: WriteSession,
    if_match: str | None,
    reason: str | None = None,
) -> AppointmentOut:
    appointment = await appointments.transition(
        session, user, appointment_id, action, reason=reason, if_match=if_match, now=state.now()
    )
    response.headers["ETag"] = appointments.etag(appointment)
    return appointment_out(appointment)


_TRANSITION_ERRORS = {200: {"headers": _ETAG_HEADER}, **problem_responses(400, 401, 403, 404, 409, 412, 422)}


@router.post("/{appointment_id}/accept", response_model=AppointmentOut, responses=_TRANSITION_ERRORS)
async def accept(
    appointment_id: AppointmentId,
    response: Response,
    user: CurrentUser,
    state: State,
    session: WriteSession,
    if_match: IfMatch = None,
) -> AppointmentOut:
    return await _transition(Action.ACCEPT, appointment_id, response, user, state, session, if_match)


@router.post("/{appointment_id}/reject", response_model=AppointmentOut, responses=_TRANSITION_ERRORS)
async def reject(
    appointment_id: AppointmentId,
    response: Response,
    user: CurrentUser,
    state: State,
    session: WriteSession,
    body: Annotated[ReasonIn | None, Body()] = None,
    if_match: IfMatch = None,
) -> AppointmentOut:
    reason = body.reason if body else None
    return await _transition(Action.REJECT, appointment_id, response, user, state, session, if_match, reason)


@router.post("/{appointment_id}/cancel", response_model=AppointmentOut, responses=_TRANSITION_ERRORS)
async def cancel(
    appointment_id: AppointmentId,
    response: Response,
    user: CurrentUser,
    state: State,
    session: WriteSession,
    body: Annotated[ReasonIn | None, Body()] = None,
    if_match: IfMatch = None,
) -> AppointmentOut:
    reason = body.reason if body else None
    return await _transition(Action.CANCEL, appointment_id, response, user, state, session, if_match, reason)


@router.post("/{appointment_id}/complete", response_model=AppointmentOut, responses=_TRANSITION_ERRORS)
async def complete(
    appointment_id: AppointmentId,
    response: Response,
    user: CurrentUser,
    state: State,
    session: WriteSession,
    if_match: IfMatch = None,
) -> AppointmentOut:
    return await _transition(Action.COMPLETE, appointment_id, response, user, state, session, if_match)


@router.get(
    "/{appointment_id}/history",
    response_model=list[HistoryEntryOut],
    responses=problem_responses(401, 404, 422),
)
async def appointment_history(
    appointment_id: AppointmentId, request: Request, user: CurrentUser, state: State, session: ReadSession
) -> list[HistoryEntryOut]:
    appointment, _ = await appointments.visible(session, user, appointment_id)
    if is_admin(user):
        await record_access(state.db, user, request.url.path, state.now(), appointment.id)
    return [history_out(entry) for entry in await appointments.history(session, appointment.id)]
