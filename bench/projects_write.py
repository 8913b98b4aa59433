"""Latency of a project create over HTTP and of its event reaching a consumer, against baselines.

Starts `taskwire-projects run` as a separate process on its own database and exchange, then
interleaves, request by request: GET /livez (the HTTP baseline), POST a project, and a bare
broker round trip (publish with confirm -> consume: the relay's baseline). Prints p50/p99 and the
ratios. Usage: uv run python bench/projects_write.py [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aio_pika
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from taskwire.common.auth import mint_token
from taskwire.common.events import decode
from taskwire.common.settings import DatabaseSettings
from taskwire.testkit.databases import create_database, drop_database
from taskwire.testkit.ports import free_port

importlib.import_module("bench")  # a local benchmark's environment (bench/__init__.py)

ADMIN_URL = os.environ.get(
    "TASKWIRE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
AMQP_URL = os.environ.get("TASKWIRE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def report(name: str, samples: list[float]) -> tuple[float, float]:
    p50, p99 = pct(samples, 0.50), pct(samples, 0.99)
    print(f"  {name:<44} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   (n={len(samples)})")
    return p50, p99


def start_service(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """The service in its own process, as in production; its output goes to `log_path`."""
    print(f"service log: {log_path}")
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "taskwire.projects.cli", "run"], env=env, stdout=log, stderr=log
        )


async def wait_ready(client: httpx.AsyncClient, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the projects service exited with {proc.returncode}")
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("the projects service did not become ready within 60s")


async def bench(requests: int) -> None:
    tag = uuid.uuid4().hex[:10]
    db_name, exchange, port = f"tw_bench_{tag}", f"taskwire.events.bench{tag}", free_port()
    db_url = await create_database(ADMIN_URL, db_name)
    env = {
        **os.environ,
        "TASKWIRE_PROJECTS_DATABASE_URL": db_url,
        "TASKWIRE_PROJECTS_PORT": str(port),
        "TASKWIRE_PROJECTS_CONSUMER_QUEUE": f"projects.bench{tag}",
        "TASKWIRE_EXCHANGE": exchange,
        "TASKWIRE_DEAD_LETTER_EXCHANGE": f"taskwire.dlx.bench{tag}",
        "TASKWIRE_AMQP_URL": AMQP_URL,
    }
    connection = await aio_pika.connect_robust(AMQP_URL)
    channel = await connection.channel(publisher_confirms=True)
    ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(ex, "project.created")
    await queue.bind(ex, "bench.ping")
    arrivals: dict[str, float] = {}
    arrived = asyncio.Condition()

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        now = time.perf_counter()
        key = message.message_id or ""
        if message.routing_key == "project.created":
            key = str(decode(message.body).subject.id)
        arrivals[key] = now
        await message.ack()
        async with arrived:
            arrived.notify_all()

    await queue.consume(on_message)
    proc = start_service(env, Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{tag}.log")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            print(f"projects service on port {port}, database {db_name}; waiting for /readyz")
            await wait_ready(client, proc)
            token = mint_token(DatabaseSettings(), uuid.uuid4(), "bench@taskwire.test", "Bench")
            client.headers["Authorization"] = f"Bearer {token}"
            ws = (await client.post("/api/v1/workspaces", json={"name": f"Bench {tag}"})).json()
            create_url = f"/api/v1/workspaces/{ws['id']}/projects"
            livez, create, event_after, broker_rt = [], [], [], []

            async def wait_for(key: str) -> float:
                async with arrived:
                    await asyncio.wait_for(arrived.wait_for(lambda: key in arrivals), 10)
                return arrivals[key]

            total = requests + 20
            for i in range(total):
                t0 = time.perf_counter()
                await client.get("/livez")
                t1 = time.perf_counter()
                r = await client.post(create_url, json={"key": f"B{i}", "name": f"Bench {i}"})
                t2 = time.perf_counter()
                assert r.status_code == 201, r.text
                ping_id = f"ping-{i}"
                t3 = time.perf_counter()
                await ex.publish(aio_pika.Message(b"{}", message_id=ping_id), "bench.ping")
                t4 = await wait_for(ping_id)
                created_at = await wait_for(r.json()["id"])
                if i >= 20:  # the first 20 warm up connections, caches and the JIT-less paths
                    livez.append(t1 - t0)
                    create.append(t2 - t1)
                    event_after.append(created_at - t1)
                    broker_rt.append(t4 - t3)
                if (i + 1) % 100 == 0:
                    print(f"  ... {i + 1}/{total} requests", flush=True)
            print(f"\nprojects write path, {requests} sequential requests (one client)")
            l50, l99 = report("GET /livez (HTTP baseline)", livez)
            c50, c99 = report("POST project (+5 statuses, outbox row)", create)
            b50, b99 = report("broker publish->consume (relay baseline)", broker_rt)
            e50, e99 = report("request start -> project.created consumed", event_after)
            print(f"\n  create / livez:           p50 x{c50 / l50:.1f}   p99 x{c99 / l99:.1f}")
            print(f"  event / broker baseline:  p50 x{e50 / b50:.1f}   p99 x{e99 / b99:.1f}")
            after = statistics.median(event_after) * 1000 - c50
            print(f"  event after the response: p50 {after:.2f} ms")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        await channel.exchange_delete(exchange)
        await channel.exchange_delete(f"taskwire.dlx.bench{tag}")
        for q in (f"projects.bench{tag}", f"projects.bench{tag}.dlq"):
            await channel.queue_delete(q)
        await connection.close()
        await drop_database(ADMIN_URL, db_name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(bench(args.requests))


if __name__ == "__main__":
    main()
