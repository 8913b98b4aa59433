"""Builds the aggregator: the batch consumer of task events and its relay, the Redis counts
cache and its writer, the counts route and reconcile."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from taskwire.aggregator import handlers, tables
from taskwire.aggregator.access import ProjectReaders
from taskwire.aggregator.api import internal, router
from taskwire.aggregator.best_effort_redis import BestEffortRedis
from taskwire.aggregator.counts_cache import CountsCache
from taskwire.aggregator.metrics import AggregatorMetrics
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.aggregator.tasks_snapshot import task_snapshot
from taskwire.aggregator.use_cases.counting import Counter
from taskwire.common import openapi
from taskwire.common.runtime import BatchSubscription, ServiceRuntime
from taskwire.common.service_client import ServiceClient
from taskwire.common.settings import load_settings
from taskwire.common.telemetry import Telemetry


def create_app(
    settings: AggregatorSettings | None = None, *, telemetry: Telemetry | None = None
) -> FastAPI:
    settings = settings or load_settings(AggregatorSettings)
    telemetry = telemetry or Telemetry.from_settings(settings)
    redis = BestEffortRedis(settings.redis_url)
    cache = CountsCache(redis, settings.redis_key_prefix, settings.counts_cache_seconds)
    counter = Counter(cache, AggregatorMetrics(telemetry.metrics))
    runtime = ServiceRuntime(
        settings,
        outbox_table=tables.outbox,
        telemetry=telemetry,
        subscriptions=[
            BatchSubscription(
                settings.consumer_queue, handlers.BINDINGS, handlers.parse, counter.count
            )
        ],
    )
    projects = ServiceClient(
        "projects",
        settings.projects_url,
        timeout=settings.http_timeout_seconds,
        attempts=settings.http_attempts,
    )
    snapshot, tasks = task_snapshot(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            async with runtime.lifespan()(app):
                runtime.spawn(cache.run(), "counts-cache")
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
    app.state.counts_cache = cache
    app.state.counter = counter
    app.state.snapshot = snapshot
    app.state.readers = ProjectReaders(
        projects, redis, settings.redis_key_prefix, settings.access_cache_seconds
    )
    app.include_router(router)
    app.include_router(internal)
    return app
