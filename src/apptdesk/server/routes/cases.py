"""GET /cases, /cases/{id}; GET and POST /cases/{id}/appointments."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request, Response

from apptdesk.server.deps import CurrentUser, ReadSession, State, WriteSession, resource_of
from apptdesk.server.problems import problem_responses
from apptdesk.server.routes.query import DEFAULT_LIMIT, CaseFilters, Cursor, Limit
from apptdesk.server.schemas.appointments import AppointmentCreate, AppointmentOut
from apptdesk.server.schemas.cases import CaseOut
from apptdesk.server.schemas.common import Page
from apptdesk.server.services import appointments, cases
from apptdesk.server.services.audit import record_access
from apptdesk.server.services.present import appointment_out, case_out
from apptdesk.server.services.visibility import is_admin

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("", response_model=Page[CaseOut], responses=problem_responses(400, 401, 422))
async def list_cases(
    request: Request,
    user: CurrentUser,
    state: State,
    session: ReadSession,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Page[CaseOut]:
    rows, next_cursor = await cases.page(session, user, limit=limit, cursor=cursor)
    if is_admin(user):
        await record_access(state.db, user, resource_of(request), state.now(), None)
    pending = await appointments.pending_counts(session, [case.id for case in rows])
    return Page(items=[case_out(case, pending.get(case.id, 0)) for case in rows], next_cursor=next_cursor)


@router.get("/{case_id}", response_model=CaseOut, responses=problem_responses(401, 404))
async def get_case(case_id: str, user: CurrentUser, session: ReadSession) -> CaseOut:
    case = await appointments.visible_case(session, user, case_id)
    pending = await appointments.pending_counts(session, [case.id])
    return case_out(case, pending.get(case.id, 0))


@router.get(
    "/{case_id}/appointments",
    response_model=Page[AppointmentOut],
    responses=problem_responses(400, 401, 404, 422),
)
async def list_case_appointments(
    case_id: str,
    request: Request,
    user: CurrentUser,
    state: State,
    session: ReadSession,
    filters: CaseFilters,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[AppointmentOut]:
    await appointments.visible_case(session, user, case_id)
    rows, next_cursor = await appointments.page(
        session, user, replace(filters, case_id=case_id), limit=limit, cursor=cursor
    )
    if is_admin(user):
        await record_access(state.db, user, resource_of(request), state.now(), None)
    return Page(items=[appointment_out(a) for a in rows], next_cursor=next_cursor)


@router.post(
    "/{case_id}/appointments",
    status_code=201,
    response_model=AppointmentOut,
    responses=problem_responses(400, 401, 403, 404, 413, 422),
)
async def create_appointment(
    case_id: str,
    body: AppointmentCreate,
    response: Response,
    user: CurrentUser,
    state: State,
    session: WriteSession,
) -> AppointmentOut:
    appointment = await appointments.create(session, user, case_id, body, state.now())
    response.headers["ETag"] = appointments.etag(appointment)
    response.headers["Location"] = f"/api/v1/appointments/{appointment.id}"
    return appointment_out(appointment)
