"""The whole pipeline, from a click to every screen: Taskwire as the run command starts it
against the seed system's own design (bench/pipeline_baseline.py), at rising rates of writes.

For each system, one workspace and one project; at each rate, a load generator in its own
process (bench/pipeline_load.py) connects watchers to the feed (the project's room and the
workspace's) and writes at a fixed rate (two creates, then a move), open loop. Reported per
rate: REST p50/p99, click-to-screen p50/p99 (the request's due time to each watcher's frame),
frames missing, how late the load generator ran, what was queued (RabbitMQ queues and outboxes,
as the last write was answered), CPU per write by process (bench/pipeline_cpu.py, from the
first write until nothing is queued, idle cost subtracted); the sustainable rate; then the
ratios to the baseline and their goals.

    uv run python bench/pipeline.py [--rates 20,30,50,70,100,200,400,600,800,1600] [--seconds 15]
                                    [--profile DIR [--profile-at 50]]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import aio_pika
import asyncpg
import httpx
import redis.asyncio as redis
from aio_pika.abc import AbstractRobustConnection

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.pipeline_report import Step, table, verdicts
from bench.pipeline_steps import Target, climb
from bench.task_create import start, wait_ready
from taskwire.common.db import asyncpg_dsn
from taskwire.common.settings import DatabaseSettings
from taskwire.testkit.databases import create_database, drop_database
from taskwire.testkit.gateway import behind_gateway
from taskwire.testkit.infra import Infra, provide_infra
from taskwire.testkit.ports import free_port
from taskwire.testkit.rest import post
from taskwire.testkit.running import run_environment
from taskwire.testkit.users import Users

SERVICES = ("projects", "tasks", "aggregator", "notifier")
OPEN_GATE = {  # one caller writes at every rate tried: the gateway must not hold it to 100/s
    "TASKWIRE_GATEWAY_RATE_PER_CALLER": "100000",
    "TASKWIRE_GATEWAY_BURST_PER_CALLER": "100000",
    "TASKWIRE_LOG_LEVEL": "WARNING",  # a line per request would be part of what is measured
}


async def taskwire(
    args: argparse.Namespace, infra: Infra, amqp: AbstractRobustConnection
) -> list[Step]:
    unique = uuid.uuid4().hex[:10]
    names = (f"taskwire.events.bench{unique}", f"taskwire.dlx.bench{unique}")
    try:
        async with run_environment(infra, unique, names, amqp) as env:
            print("taskwire: starting the four services and the gateway", flush=True)
            async with behind_gateway(env | OPEN_GATE) as url:
                channel = await amqp.channel()

                async def queued() -> dict[str, int]:
                    depths = {}
                    for service in SERVICES:
                        name = env[f"TASKWIRE_{service.upper()}_CONSUMER_QUEUE"]
                        queue = await channel.declare_queue(name, passive=True)
                        depths[service] = queue.declaration_result.message_count or 0
                    for service in SERVICES[:3]:
                        dsn = asyncpg_dsn(env[f"TASKWIRE_{service.upper()}_DATABASE_URL"])
                        conn = await asyncpg.connect(dsn)
                        sql = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
                        depths[f"{service} outbox"] = await conn.fetchval(sql)
                        await conn.close()
                    return depths

                return await climb(await board("taskwire", url, queued), args)
    finally:
        channel = await amqp.channel()
        for name in names:
            await channel.exchange_delete(name)
        await forget(infra.redis_url, f"tw:run{unique}:*")


async def forget(url: str, pattern: str) -> None:
    """The run's keys in Redis (rooms, numbering, history): the run command's prefix, so ours."""
    client = redis.Redis.from_url(url)
    keys = [key async for key in client.scan_iter(match=pattern, count=1000)]
    for at in range(0, len(keys), 1000):
        await client.delete(*keys[at : at + 1000])
    await client.aclose()


async def board(name: str, url: str, queued: Callable[[], Awaitable[dict[str, int]]]) -> Target:
    """A workspace and a project made through REST; the first create answered (the tasks
    service learns of the project from its event) tells where a new task lands."""
    user = Users(DatabaseSettings(environment="development"))("bench")
    workspace = await post(url, user, "/workspaces", {"name": "Bench"})
    path = f"/workspaces/{workspace['id']}/projects"
    project = await post(url, user, path, {"key": "BEN", "name": "Bench"})
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", headers=user.auth) as http:
        while (
            made := await http.post(f"/projects/{project['id']}/tasks", json={"title": "first"})
        ).status_code != 201:
            if time.monotonic() > deadline:
                raise SystemExit(f"{name}: no task created within 30 s: {made.text}")
            await asyncio.sleep(0.2)
    first = made.json()["status_id"]
    others = [s["id"] for s in project.get("statuses", []) if s["id"] != first]
    return Target(name, url, user, workspace["id"], project["id"], [first, *others], queued)


async def baseline(args: argparse.Namespace, infra: Infra) -> list[Step]:
    name, port = f"tw_bench_pipeline_{uuid.uuid4().hex[:10]}", free_port()
    database = await create_database(infra.postgres_admin_url, name)
    statuses = [str(uuid.uuid4()) for _ in range(4)]
    env = os.environ | {"BENCH_DSN": asyncpg_dsn(database), "BENCH_TODO": statuses[0]}
    print("baseline: starting", flush=True)
    process = start("baseline", ["bench.pipeline_baseline:app"], port, env, name)
    try:
        await wait_ready("baseline", port, process, "/docs")

        async def nothing_queues() -> dict[str, int]:
            return {}

        user = Users(DatabaseSettings(environment="development"))("bench")
        project, workspace = str(uuid.uuid4()), str(uuid.uuid4())
        url = f"http://127.0.0.1:{port}"
        uses = frozenset({"baseline", "postgres", "load generator"})
        here = Target("baseline", url, user, workspace, project, statuses, nothing_queues, uses)
        return await climb(here, args)
    finally:
        process.terminate()
        process.wait(timeout=20)
        await drop_database(infra.postgres_admin_url, name)


async def bench(args: argparse.Namespace) -> None:
    with provide_infra() as infra:
        ours = theirs = None
        if "taskwire" in args.systems:
            amqp = await aio_pika.connect_robust(infra.amqp_url)
            try:
                ours = await taskwire(args, infra, amqp)
            finally:
                await amqp.close()
        if "baseline" in args.systems:
            theirs = await baseline(args, infra)
    if ours is not None:
        table("Taskwire, through its gateway", ours)
    if theirs is not None:
        table("baseline (one FastAPI + asyncpg process, fire-and-forget broadcast)", theirs)
    if ours is not None and theirs is not None:
        verdicts(ours, theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rates", default="20,30,50,70,100,200,400,600,800,1600")
    parser.add_argument("--seconds", type=float, default=15.0, help="of load per rate")
    parser.add_argument("--grace", type=float, default=5.0, help="to wait for a late frame")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds to measure idle cost")
    parser.add_argument("--watchers", type=int, default=2)
    parser.add_argument(
        "--systems", default="taskwire,baseline", help="either alone skips the ratios"
    )
    parser.add_argument("--profile", type=Path, help="py-spy every service into this directory")
    parser.add_argument("--profile-at", type=float, default=50.0, help="at this rate")
    args = parser.parse_args()
    args.rates = [float(r) for r in args.rates.split(",")]
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
