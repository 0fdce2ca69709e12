"""GET /me: who the token belongs to."""

from __future__ import annotations

from fastapi import APIRouter

from apptdesk.server.deps import CurrentUser
from apptdesk.server.problems import problem_responses
from apptdesk.server.schemas.common import UserOut
from apptdesk.server.services.present import user_out

router = APIRouter(tags=["me"])


@router.get("/me", response_model=UserOut, responses=problem_responses(401))
async def me(user: CurrentUser) -> UserOut:
    return user_out(user)
