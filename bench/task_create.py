"""Throughput and latency of creating a task, against a bare FastAPI + asyncpg baseline.

Starts, each in its own process on the same machine: the baseline (bench/baseline_tasks.py: the
same two inserts in one transaction, nothing else) and the tasks service (with its relay
publishing every event), each on its own clone of a migrated database. Then, alternating
between the two so drift on a shared machine hits both alike:
  1. closed loop: `--clients` connections sending back to back for `--seconds` per round, each
     client creating in its own project (the common case), then all in one project (the hot
     spot: gapless per-project numbers serialise a project's creates through their commits);
  2. open loop: a fixed, moderate `--rate` for `--seconds`.
Prints requests/s, p50 and p99 of each, and the service/baseline ratios; checks afterwards that
the service numbered every project's tasks 1..N without a gap.

    uv run python bench/task_create.py [--clients 50] [--seconds 5] [--rounds 5] [--rate 200]

BENCH_TARGET=module:factory benchmarks another app factory in place of the service's (to measure
a variant, e.g. one without its relay).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aio_pika
import asyncpg
import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.load import Result, closed_loop, http_request, open_loop, percentile
from bench.projects_write import ADMIN_URL, AMQP_URL
from taskwire.common.auth import mint_token
from taskwire.common.db import asyncpg_dsn
from taskwire.common.events.projects import Role
from taskwire.common.settings import DatabaseSettings
from taskwire.tasks.migrate import upgrade
from taskwire.testkit.databases import create_database, drop_database
from taskwire.testkit.ports import free_port
from taskwire.testkit.seed import Seed, SeededProject
from taskwire.testkit.users import User

HOST = "127.0.0.1"


def start(
    name: str, target: list[str], port: int, env: dict[str, str], tag: str
) -> subprocess.Popen[bytes]:
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{tag}-{name}.log"
    print(f"  {name}: port {port}, log {log}", flush=True)
    command = [sys.executable, "-m", "uvicorn", *target, "--host", HOST, "--port", str(port)]
    command += ["--no-access-log", "--log-level", "warning"]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, env=env, stdout=out, stderr=out, cwd=Path(__file__).parents[1]
        )


async def wait_ready(name: str, port: int, proc: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited with {proc.returncode}; see its log")
            try:
                if (await client.get(path)).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"{name} did not become ready within 60s; see its log")


def line(name: str, result: Result) -> None:
    p50, p99 = percentile(result.latencies, 0.5), percentile(result.latencies, 0.99)
    others = {s: n for s, n in result.statuses.items() if s != 201}
    extra = f"   NON-201: {others}" if others else ""
    print(
        f"  {name:<22} {result.throughput:8.0f} req/s   p50 {p50:7.2f} ms   p99 {p99:7.2f} ms"
        f"   (n={len(result.latencies)}){extra}",
        flush=True,
    )


def ratios(service: Result, baseline: Result, throughput: bool) -> None:
    s50, b50 = percentile(service.latencies, 0.5), percentile(baseline.latencies, 0.5)
    s99, b99 = percentile(service.latencies, 0.99), percentile(baseline.latencies, 0.99)
    if throughput:
        print(
            f"  service / baseline throughput: {service.throughput / baseline.throughput:.2f}"
            "   (target >= 0.70)"
        )
    print(f"  service / baseline latency:    p50 x{s50 / b50:.2f}   p99 x{s99 / b99:.2f}")


async def bench(args: argparse.Namespace) -> None:
    tag = uuid.uuid4().hex[:10]
    template, names = f"tw_bench_tpl_{tag}", (f"tw_bench_base_{tag}", f"tw_bench_svc_{tag}")
    await upgrade(await create_database(ADMIN_URL, template))
    base_url, svc_url = [await create_database(ADMIN_URL, n, template=template) for n in names]
    user_id = uuid.uuid4()
    token = mint_token(DatabaseSettings(), user_id, "bench@taskwire.test", "Bench")
    user = User(user_id, "bench@taskwire.test", "Bench", token)
    boards: dict[str, list[SeededProject]] = {}
    for url in (base_url, svc_url):
        seed = Seed(url)
        workspace = await seed.workspace(user, (user, Role.OWNER))
        boards[url] = [await seed.project(workspace, f"B{i}") for i in range(args.clients)]
    exchange = f"taskwire.events.bench{tag}"
    await bind_sink(tag, exchange)
    svc_env = os.environ | {
        "TASKWIRE_TASKS_DATABASE_URL": svc_url,
        "TASKWIRE_TASKS_CONSUMER_QUEUE": f"tasks.bench{tag}",
        "TASKWIRE_EXCHANGE": exchange,
        "TASKWIRE_DEAD_LETTER_EXCHANGE": f"taskwire.dlx.bench{tag}",
        "TASKWIRE_AMQP_URL": AMQP_URL,
        "TASKWIRE_TASKS_DB_POOL_SIZE": "20",
    }
    base_env = os.environ | {
        "BENCH_DSN": asyncpg_dsn(base_url),
        "BENCH_WORKSPACE_ID": str(boards[base_url][0].workspace_id),
        "BENCH_STATUS_ID": str(boards[base_url][0].todo),
        "BENCH_REPORTER_ID": str(user_id),
    }
    ports = {"baseline": free_port(), "service": free_port()}
    print(
        f"task create benchmark {tag}: {args.clients} clients, {args.rounds} x {args.seconds}s "
        f"per side and workload, then {args.rate:.0f} req/s open loop",
        flush=True,
    )
    procs = {
        "baseline": start(
            "baseline", ["bench.baseline_tasks:app"], ports["baseline"], base_env, tag
        ),
        "service": start(
            "service",
            ["--factory", os.environ.get("BENCH_TARGET", "taskwire.tasks.app:create_app")],
            ports["service"],
            svc_env,
            tag,
        ),
    }
    body = orjson.dumps({"title": "Benchmark task", "description": "created under load"})
    headers = {"Authorization": f"Bearer {user.token}", "Content-Type": "application/json"}

    def requests(url: str, spread: bool) -> list[bytes]:
        """One request per client: each into its own project, or all into the first one."""
        chosen = boards[url] if spread else [boards[url][0]] * args.clients
        return [
            http_request("POST", f"/api/v1/projects/{p.id}/tasks", body, headers) for p in chosen
        ]

    side_url = {"baseline": base_url, "service": svc_url}
    try:
        await wait_ready("baseline", ports["baseline"], procs["baseline"], "/docs")
        await wait_ready("service", ports["service"], procs["service"], "/readyz")
        for side, url in side_url.items():  # warm pools, caches and prepared statements
            await closed_loop(HOST, ports[side], requests(url, True), seconds=2, expect=201)
        for spread, title in ((True, "one project per client"), (False, "all in one project")):
            closed = {"baseline": Result(), "service": Result()}
            for round_ in range(args.rounds):
                for side, url in side_url.items():
                    print(f"  ... {title}, round {round_ + 1}/{args.rounds}: {side}", flush=True)
                    closed[side].merge(
                        await closed_loop(
                            HOST,
                            ports[side],
                            requests(url, spread),
                            seconds=args.seconds,
                            expect=201,
                        )
                    )
            print(f"\nclosed loop, {args.clients} concurrent clients, {title}")
            line("baseline", closed["baseline"])
            line("tasks service", closed["service"])
            ratios(closed["service"], closed["baseline"], throughput=True)
        fixed = {}
        for side, url in side_url.items():
            print(f"  ... open loop: {side}", flush=True)
            fixed[side] = await open_loop(
                HOST,
                ports[side],
                requests(url, True),
                rate=args.rate,
                seconds=args.seconds,
                expect=201,
            )
        print(f"\nopen loop, {args.rate:.0f} requests/s, one project per client")
        line("baseline", fixed["baseline"])
        line("tasks service", fixed["service"])
        ratios(fixed["service"], fixed["baseline"], throughput=False)
        await check_numbers(svc_url)
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(timeout=20)
        await cleanup(tag, (*names, template))


async def check_numbers(url: str) -> None:
    """Every project's numbers run 1..N without a gap or a repeat."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT count(*) AS n, count(DISTINCT number) AS d, max(number) AS top "
            "FROM tasks GROUP BY project_id"
        )
    finally:
        await conn.close()
    total = sum(r["n"] for r in rows)
    gapless = all(r["n"] == r["d"] == r["top"] for r in rows)
    verdict = "each 1..N, gapless" if gapless else "GAPS OR REPEATS"
    print(f"\n  service created {total} tasks in {len(rows)} projects: {verdict}")


async def bind_sink(tag: str, exchange: str) -> None:
    """A queue for the service's task events, as the aggregator's and notifier's will be (an
    event nobody's queue takes is kept and retried by the relay). Bounded, and nobody reads it:
    the broker drops the oldest, so the benchmark's own process spends nothing on events."""
    connection = await aio_pika.connect_robust(AMQP_URL)
    channel = await connection.channel()
    ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(
        f"bench.sink{tag}", arguments={"x-max-length": 10_000, "x-overflow": "drop-head"}
    )
    await queue.bind(ex, "task.#")
    await connection.close()


async def cleanup(tag: str, databases: tuple[str, ...]) -> None:
    connection = await aio_pika.connect_robust(AMQP_URL)
    channel = await connection.channel()
    for name in (f"taskwire.events.bench{tag}", f"taskwire.dlx.bench{tag}"):
        await channel.exchange_delete(name)
    for name in (f"tasks.bench{tag}", f"tasks.bench{tag}.dlq", f"bench.sink{tag}"):
        await channel.queue_delete(name)
    await connection.close()
    for name in databases:
        await drop_database(ADMIN_URL, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate", type=float, default=200.0)
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
