"""Reconcile from the command line, beside (or without) a running aggregator.

Repairs go out as events through the outbox (the running service's relay publishes them, or the
next one to start) and into the Redis counts cache before the command ends.
"""

from __future__ import annotations

import sys
from uuid import UUID

from taskwire.aggregator import tables
from taskwire.aggregator.api import render
from taskwire.aggregator.app import task_snapshot
from taskwire.aggregator.cache import BestEffortRedis, CountsCache
from taskwire.aggregator.handlers import Counter
from taskwire.aggregator.reconcile import Drift, reconcile
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.common.db import create_engine
from taskwire.common.outbox import EventUnitOfWork, Outbox


def _progress(drift: Drift) -> None:
    print(
        f"  checked {drift.tasks_checked} tasks: {drift.tasks_behind} behind, "
        f"{drift.tasks_corrupt} corrupt, {drift.tasks_unknown} unknown; "
        f"{drift.projects_checked} projects recounted, {len(drift.counts_repaired)} repaired",
        file=sys.stderr,
        flush=True,
    )


async def run_reconcile(settings: AggregatorSettings, project_id: UUID | None) -> Drift:
    engine = create_engine(settings)
    outbox = Outbox(tables.outbox)
    redis = BestEffortRedis(settings.redis_url)
    cache = CountsCache(redis, settings.redis_key_prefix, settings.counts_cache_seconds)
    snapshot, tasks = task_snapshot(settings)
    scope = f"project {project_id}" if project_id else "every project"
    print(f"reconciling {scope} against {settings.tasks_url}", file=sys.stderr, flush=True)
    try:
        drift = await reconcile(
            engine,
            lambda: EventUnitOfWork(engine, outbox),
            Counter(cache),
            snapshot,
            project_id,
            _progress,
        )
        if not await cache.flush(render):
            print("  redis unavailable: its cached counts expire on their own", file=sys.stderr)
        return drift
    finally:
        await tasks.close()
        await redis.close()
        await engine.dispose()
