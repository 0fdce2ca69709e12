"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from fastapi import FastAPI

from apptdesk import __version__
from apptdesk.server.limits import BodySizeLimit, RefuseNul
from apptdesk.server.problems import PROBLEM_JSON, Problem, install_handlers
from apptdesk.server.routes import api
from apptdesk.server.services import lifecycle
from apptdesk.server.services.hub import PostgresListener
from apptdesk.server.services.mailer import Mailer, transport_for
from apptdesk.server.services.notify import CHANNEL
from apptdesk.server.settings import Settings
from apptdesk.server.state import Clock, ServerState, system_clock


def create_app(
    settings: Settings | None = None, *, clock: Clock = system_clock, sweeper: bool = True
) -> FastAPI:
    """A server for ``settings``. The database must already be migrated (``apptdesk-server migrate``)."""
    settings = settings or Settings()
    state = ServerState.build(settings, clock)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state.loop = asyncio.get_running_loop()
        tasks = [asyncio.create_task(work) for work in _background_work(state, sweeper)]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await state.db.dispose()

    app = FastAPI(
        title="apptdesk API",
        version=__version__,
        summary="Appointments between the requester and the provider of a second-opinion case.",
        lifespan=lifespan,
    )
    app.state.apptdesk = state
    install_handlers(app)
    app.include_router(api)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RefuseNul)

    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _problems_in_openapi(original_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/healthz", tags=["health"], include_in_schema=True)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


def _background_work(state: ServerState, sweeper: bool) -> list[Coroutine[Any, Any, None]]:
    """What the server does besides answering: the lifecycle sweep, sending mail, hearing other processes."""
    settings = state.settings
    work: list[Coroutine[Any, Any, None]] = []
    if sweeper:
        work.append(lifecycle.run_forever(state))
    if settings.mailer:
        mailer = Mailer(
            state.db,
            transport_for(settings.smtp_url, settings.resolved_outbox_dir()),
            settings.mail_from,
            state.now,
            settings.mail_retry_max_seconds,
        )
        work.append(mailer.run_forever(state.hub.mail_waiter, settings.mail_poll_seconds))
    if not state.db.is_sqlite:
        work.append(PostgresListener(settings.resolved_database_url(), CHANNEL, state.hub).run_forever())
    return work


def _problems_in_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Say what the server really sends: every error, 422 included, is application/problem+json; any
    request may get 400 (a NUL in the URL) and any request with a body 413 (over the size limit)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema()
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("400", {"description": "Bad Request"})
            if "requestBody" in operation:
                responses.setdefault("413", {"description": "Content Too Large"})
            for code, response in responses.items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = problem
    return schema
