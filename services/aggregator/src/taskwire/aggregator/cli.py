"""`taskwire-aggregator migrate | serve | run | reconcile`: the service's one entry point.

`reconcile` runs beside (or without) a running aggregator: its repairs go out as events through
the outbox (the running service's relay publishes them, or the next one to start) and into the
Redis counts cache before the command ends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from uuid import UUID

from taskwire.aggregator import tables
from taskwire.aggregator.app import create_app
from taskwire.aggregator.best_effort_redis import BestEffortRedis
from taskwire.aggregator.counts_cache import CountsCache
from taskwire.aggregator.domain import Drift
from taskwire.aggregator.migrate import MIGRATIONS
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.aggregator.tasks_snapshot import task_snapshot
from taskwire.aggregator.use_cases.counting import Counter
from taskwire.aggregator.use_cases.reconciling import reconcile
from taskwire.common.db import create_engine
from taskwire.common.outbox import EventUnitOfWork, Outbox
from taskwire.common.service_cli import Command, run_cli


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
        if not await cache.flush():
            print("  redis unavailable: its cached counts expire on their own", file=sys.stderr)
        return drift
    finally:
        await tasks.close()
        await redis.close()
        await engine.dispose()


def _reconcile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=UUID, help="one project's id (default: every project)")


def _reconcile(settings: AggregatorSettings, args: argparse.Namespace) -> int:
    drift = asyncio.run(run_reconcile(settings, args.project))
    print(json.dumps(drift.as_dict(), indent=2))
    return 0


def main(argv: list[str] | None = None) -> None:
    reconcile_command = Command[AggregatorSettings](
        help="recount from the tasks service, repair any drift, and report it",
        arguments=_reconcile_arguments,
        run=_reconcile,
    )
    run_cli(
        "aggregator",
        AggregatorSettings,
        MIGRATIONS,
        create_app,
        argv,
        commands={"reconcile": reconcile_command},
    )


if __name__ == "__main__":
    main(sys.argv[1:])
