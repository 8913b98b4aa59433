"""Builds the projects service: its routes, and the runtime (relay, batch consumer) in its
lifespan."""

from __future__ import annotations

from fastapi import FastAPI

from taskwire.common import openapi
from taskwire.common.runtime import BatchSubscription, ServiceRuntime
from taskwire.common.settings import load_settings
from taskwire.common.telemetry import Telemetry
from taskwire.projects import handlers, tables
from taskwire.projects.api import dev, router
from taskwire.projects.api.internal import router as internal_router
from taskwire.projects.settings import ProjectsSettings


def create_app(
    settings: ProjectsSettings | None = None, *, telemetry: Telemetry | None = None
) -> FastAPI:
    settings = settings or load_settings(ProjectsSettings)
    runtime = ServiceRuntime(
        settings,
        outbox_table=tables.outbox,
        telemetry=telemetry,
        subscriptions=[
            BatchSubscription(
                settings.consumer_queue, handlers.BINDINGS, handlers.parse, handlers.apply
            )
        ],
    )
    app = FastAPI(
        title="Taskwire projects",
        summary="Workspaces, members, projects and their task statuses",
        version="1",
        telemetry=runtime.http_telemetry(),
        responses=openapi.problems(*openapi.EVERY_ROUTE),
        generate_unique_id_function=openapi.operation_id,
        lifespan=runtime.lifespan(),
    )
    runtime.install(app)
    openapi.document(app)
    app.include_router(router)
    if dev.available(settings):
        app.include_router(dev.router)
    app.include_router(internal_router)  # outside /api/v1: the gateway never routes /internal
    return app
