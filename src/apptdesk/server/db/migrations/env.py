"""Alembic environment: async engine, URL handed over by apptdesk.server.db.migrate."""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from apptdesk.server.db.engine import create_engine
from apptdesk.server.db.tables import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(config.attributes["database_url"])
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run apptdesk-server migrate")
# A plain asyncio loop of our own, whatever loop policy the host application installed (qasync's
# would hand a worker thread a Qt loop).
with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
    runner.run(_run_async())
