"""How long reconcile takes for one project of 100,000 tasks, against reading the snapshot alone.

Starts `taskwire-tasks serve` as its own process on a database holding one project of N tasks
(every category, some archived, some deleted), then, in alternating rounds:
- the baseline: walking the tasks service's snapshot page by page, doing nothing with it;
- reconcile of that project into an empty aggregator database (every task behind: the worst
  case, all facts written and the counts recounted), and again into the now exact database
  (nothing behind: the usual case, read and compared only).
It checks each round's counts against a recount in SQL. Usage:
    uv run python bench/reconcile.py [--tasks 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.projects_write import ADMIN_URL, wait_ready
from taskwire.aggregator import tables
from taskwire.aggregator.migrate import upgrade as upgrade_aggregator
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.aggregator.tasks_snapshot import task_snapshot
from taskwire.aggregator.use_cases.counting import Counter
from taskwire.aggregator.use_cases.reconciling import reconcile
from taskwire.common.db import asyncpg_dsn, create_engine
from taskwire.common.outbox import EventUnitOfWork, Outbox
from taskwire.tasks.migrate import upgrade as upgrade_tasks
from taskwire.testkit.databases import create_database, drop_database
from taskwire.testkit.ports import free_port

FILL = """
INSERT INTO tasks (id, project_id, workspace_id, number, title, status_id, category, position,
                   priority, reporter_id, archived_at, deleted, version, created_at, updated_at)
SELECT gen_random_uuid(), $1, $2, g, 'task ' || g, gen_random_uuid(),
       (ARRAY['todo', 'in_progress', 'in_review', 'issue', 'done'])[1 + g % 5], g, 'none', $2,
       CASE WHEN g % 17 = 0 THEN now() END, g % 23 = 0, 1 + g % 4, now(), now()
FROM generate_series(1, $3) g
"""
TRUTH = """
SELECT count(*) FILTER (WHERE NOT deleted AND archived_at IS NULL),
       count(*) FILTER (WHERE NOT deleted AND archived_at IS NOT NULL)
FROM tasks WHERE project_id = $1
"""


async def fill(url: str, project: uuid.UUID, tasks: int) -> tuple[int, int]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(FILL, project, uuid.uuid4(), tasks)
        await conn.execute("ANALYZE tasks")
        row = await conn.fetchrow(TRUTH, project)
        assert row is not None
        return row[0], row[1]
    finally:
        await conn.close()


async def stored(url: str, project: uuid.UUID) -> tuple[int, int]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        row = await conn.fetchrow(
            "SELECT total, archived FROM project_counts WHERE project_id = $1", project
        )
        return (row["total"], row["archived"]) if row else (0, 0)
    finally:
        await conn.close()


async def timed_reconcile(settings: AggregatorSettings, project: uuid.UUID) -> float:
    engine = create_engine(settings)
    outbox = Outbox(tables.outbox)
    snapshot, client = task_snapshot(settings)
    try:
        started = time.perf_counter()
        await reconcile(
            engine, lambda: EventUnitOfWork(engine, outbox), Counter(), snapshot, project
        )
        return time.perf_counter() - started
    finally:
        await client.close()
        await engine.dispose()


async def timed_walk(settings: AggregatorSettings, project: uuid.UUID) -> float:
    snapshot, client = task_snapshot(settings)
    try:
        started = time.perf_counter()
        async for _ in snapshot.pages(project):
            pass
        return time.perf_counter() - started
    finally:
        await client.close()


def start_tasks(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        command = [sys.executable, "-m", "taskwire.tasks.cli", "serve"]
        return subprocess.Popen(command, env=env, stdout=out, stderr=out)


async def bench(tasks: int, rounds: int) -> None:
    tag = uuid.uuid4().hex[:10]
    tasks_db, port, project = f"tw_bench_tasks_{tag}", free_port(), uuid.uuid4()
    tasks_url = await create_database(ADMIN_URL, tasks_db)
    aggregator_dbs: list[str] = []
    log = Path(f"/tmp/taskwire-bench-reconcile-{tag}.log")
    process: subprocess.Popen[bytes] | None = None
    try:
        await upgrade_tasks(tasks_url)
        print(f"filling one project with {tasks} tasks ...", flush=True)
        truth = await fill(tasks_url, project, tasks)
        env = {
            **os.environ,
            "TASKWIRE_TASKS_DATABASE_URL": tasks_url,
            "TASKWIRE_TASKS_PORT": str(port),
            "TASKWIRE_TASKS_CONSUMER_QUEUE": f"tasks.bench{tag}",
            "TASKWIRE_EXCHANGE": f"taskwire.events.bench{tag}",
            "TASKWIRE_DEAD_LETTER_EXCHANGE": f"taskwire.dlx.bench{tag}",
        }
        print(f"tasks service log: {log}", flush=True)
        process = start_tasks(env, log)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await wait_ready(client, process)
        walks, fulls, quiets = [], [], []
        for number in range(1, rounds + 1):
            name = f"tw_bench_aggregator_{tag}_{number}"
            aggregator_dbs.append(name)
            url = await create_database(ADMIN_URL, name)
            await upgrade_aggregator(url)
            settings = AggregatorSettings(
                environment="development", database_url=url, tasks_url=f"http://127.0.0.1:{port}"
            )
            walks.append(await timed_walk(settings, project))
            fulls.append(await timed_reconcile(settings, project))
            quiets.append(await timed_reconcile(settings, project))
            exact = await stored(url, project) == truth
            print(
                f"  round {number}: snapshot walk {walks[-1]:.2f} s, reconcile from empty "
                f"{fulls[-1]:.2f} s, reconcile with no drift {quiets[-1]:.2f} s, "
                f"counts {'exact' if exact else 'WRONG'}",
                flush=True,
            )
            if not exact:
                raise SystemExit(f"counts {await stored(url, project)} != truth {truth}")
        walk, full, quiet = map(statistics.median, (walks, fulls, quiets))
        print(f"\nmedian of {rounds} rounds, one project of {tasks} tasks:")
        print(f"  snapshot walk alone (baseline)  {walk:6.2f} s")
        print(f"  reconcile, every task behind    {full:6.2f} s   x{full / walk:.1f} the walk")
        print(f"  reconcile, no drift             {quiet:6.2f} s   x{quiet / walk:.1f} the walk")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        for name in aggregator_dbs:
            await drop_database(ADMIN_URL, name)
        await drop_database(ADMIN_URL, tasks_db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of the whole run to this file")
    args = parser.parse_args()
    if args.profile:
        import cProfile

        with cProfile.Profile() as profile:
            asyncio.run(bench(args.tasks, args.rounds))
        profile.dump_stats(args.profile)
    else:
        asyncio.run(bench(args.tasks, args.rounds))


if __name__ == "__main__":
    main()
