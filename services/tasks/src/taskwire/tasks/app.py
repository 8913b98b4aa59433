"""Builds the tasks service: its routes, the runtime (relay, replica consumer) and the directory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from taskwire.common import openapi
from taskwire.common.db import asyncpg_dsn
from taskwire.common.runtime import ServiceRuntime, Subscription
from taskwire.common.settings import load_settings
from taskwire.common.telemetry import Telemetry
from taskwire.tasks import handlers, tables
from taskwire.tasks.api import router
from taskwire.tasks.api.internal import router as internal_router
from taskwire.tasks.api.replica import router as replica_router
from taskwire.tasks.idempotency import purge_expired_keys
from taskwire.tasks.replica.consumer import Replica
from taskwire.tasks.replica.directory import Directory
from taskwire.tasks.replica.invalidation import follow_invalidations
from taskwire.tasks.replica.projects_client import ProjectsClient
from taskwire.tasks.replica.repair import MembersRepair
from taskwire.tasks.settings import TasksSettings


def create_app(
    settings: TasksSettings | None = None,
    *,
    run_relay: bool = True,
    telemetry: Telemetry | None = None,
) -> FastAPI:
    """`run_relay=False` leaves publishing to another process (a test counting statements)."""
    settings = settings or load_settings(TasksSettings)
    replica = Replica()
    runtime = ServiceRuntime(
        settings,
        outbox_table=tables.outbox,
        telemetry=telemetry,
        subscriptions=[
            Subscription(
                queue=settings.consumer_queue,
                bindings=handlers.BINDINGS,
                handler=replica.handle,
            )
        ],
        run_relay=run_relay,
    )
    client = ProjectsClient(settings, runtime.database.engine)
    directory = Directory(
        runtime.database.engine,
        client,
        ttl_seconds=settings.directory_ttl_seconds,
        max_entries=settings.directory_max_entries,
    )
    replica.directory = directory
    repair = MembersRepair(runtime.database.engine, client, directory)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan()(app):
            runtime.spawn(
                follow_invalidations(asyncpg_dsn(settings.database_url), directory), "directory"
            )
            runtime.spawn(purge_expired_keys(runtime.database.engine, settings), "idempotency")
            if settings.replica_repair_interval_seconds > 0:
                runtime.spawn(repair.sweep(settings.replica_repair_interval_seconds), "repair")
            try:
                yield
            finally:
                await client.close()

    app = FastAPI(
        title="Taskwire tasks",
        summary="The board: tasks, their moves, archive, restore, delete and lists",
        version="1",
        telemetry=runtime.http_telemetry(),
        responses=openapi.problems(*openapi.EVERY_ROUTE),
        generate_unique_id_function=openapi.operation_id,
        lifespan=lifespan,
    )
    runtime.install(app)
    openapi.document(app)
    app.state.settings = settings
    app.state.directory = directory
    app.state.members_repair = repair
    app.include_router(router)
    # Outside /api/v1: the gateway never routes /internal.
    app.include_router(internal_router)
    app.include_router(replica_router)
    return app
