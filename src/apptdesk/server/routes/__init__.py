"""One router per resource, collected under /api/v1."""

from fastapi import APIRouter

from apptdesk.server.routes import appointments, auth, cases, events, me, notifications

api = APIRouter(prefix="/api/v1")
for module in (auth, me, cases, appointments, notifications, events):
    api.include_router(module.router)
