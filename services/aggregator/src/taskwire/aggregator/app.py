"""Builds the aggregator: the batch consumer of task events, its relay, the Redis counts cache,
the counts route and reconcile."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from uuid import UUID

from fastapi import FastAPI

from taskwire.aggregator import tables
from taskwire.aggregator.access import ProjectReaders
from taskwire.aggregator.api import internal, render, router
from taskwire.aggregator.cache import BestEffortRedis, CountsCache
from taskwire.aggregator.handlers import BINDINGS, Counter, parse
from taskwire.aggregator.metrics import AggregatorMetrics
from taskwire.aggregator.reconcile import Drift, reconcile
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.aggregator.snapshot import TaskSnapshot
from taskwire.common import openapi
from taskwire.common.runtime import BatchSubscription, ServiceRuntime
from taskwire.common.service_client import ServiceClient
from taskwire.common.settings import load_settings
from taskwire.common.telemetry import Telemetry


def task_snapshot(settings: AggregatorSettings) -> tuple[TaskSnapshot, ServiceClient]:
    tasks = ServiceClient(
        "tasks",
        settings.tasks_url,
        timeout=max(settings.http_timeout_seconds, 30.0),
        attempts=settings.http_attempts,
    )
    token = settings.internal_token.get_secret_value()
    return TaskSnapshot(tasks, token, settings.reconcile_page_size), tasks


def create_app(
    settings: AggregatorSettings | None = None, *, telemetry: Telemetry | None = None
) -> FastAPI:
    settings = settings or load_settings(AggregatorSettings)
    telemetry = telemetry or Telemetry.from_settings(settings)
    metrics = AggregatorMetrics(telemetry.metrics)
    redis = BestEffortRedis(settings.redis_url)
    cache = CountsCache(redis, settings.redis_key_prefix, settings.counts_cache_seconds)
    counter = Counter(cache, metrics)
    runtime = ServiceRuntime(
        settings,
        outbox_table=tables.outbox,
        telemetry=telemetry,
        subscriptions=[BatchSubscription(settings.consumer_queue, BINDINGS, parse, counter.count)],
    )
    projects = ServiceClient(
        "projects",
        settings.projects_url,
        timeout=settings.http_timeout_seconds,
        attempts=settings.http_attempts,
    )
    snapshot, tasks = task_snapshot(settings)

    async def reconcile_now(project_id: UUID | None) -> Drift:
        drift = await reconcile(runtime.engine, runtime.unit_of_work, counter, snapshot, project_id)
        metrics.reconciled(drift)
        return drift

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            async with runtime.lifespan()(app):
                runtime.spawn(cache.run(render), "counts-cache")
                yield
        finally:  # after the runtime has stopped what uses them
            await projects.close()
            await tasks.close()
            await redis.close()

    app = FastAPI(
        title="Taskwire aggregator",
        summary="Exact task counts and derived status per project",
        version="1",
        telemetry=runtime.http_telemetry(),
        responses=openapi.problems(*openapi.EVERY_ROUTE),
        generate_unique_id_function=openapi.operation_id,
        lifespan=lifespan,
    )
    runtime.install(app)
    openapi.document(app)
    app.state.settings = settings
    app.state.counts_cache = cache
    app.state.counter = counter
    app.state.readers = ProjectReaders(
        projects, redis, settings.redis_key_prefix, settings.access_cache_seconds
    )
    app.state.reconcile = reconcile_now
    app.include_router(router)
    app.include_router(internal)
    return app
