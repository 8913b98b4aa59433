"""A soak from start to verdict: the system as the run command starts it, on its own names, the
world, the writers for the given time, then the checker and the report.

    python -m taskwire.testkit.soak.run [--seconds 90] [--seed N] [--writers 3] [--workspaces 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator

import aio_pika
from aio_pika.abc import AbstractRobustConnection

from taskwire.common.db import asyncpg_dsn
from taskwire.common.settings import DatabaseSettings
from taskwire.testkit.infra import Infra, provide_infra
from taskwire.testkit.running import run_environment
from taskwire.testkit.soak import report, world
from taskwire.testkit.soak.checker import Verdict, check
from taskwire.testkit.soak.clients import Clients, cast
from taskwire.testkit.soak.cluster import SERVICES, Cluster, running_cluster
from taskwire.testkit.soak.faults import Faults
from taskwire.testkit.soak.stores import Stores
from taskwire.testkit.users import Users

# Every writer of the soak is one caller among many: the gateway's per-caller limit is not what
# is under test (a 429 is retried, but would only slow the soak down).
OPEN_GATE = {
    "TASKWIRE_GATEWAY_RATE_PER_CALLER": "100000",
    "TASKWIRE_GATEWAY_BURST_PER_CALLER": "100000",
}


@contextlib.asynccontextmanager
async def system(
    infra: Infra, amqp: AbstractRobustConnection
) -> AsyncIterator[tuple[Cluster, Stores]]:
    """The production shape (`cluster`) on names of its own (removed afterwards), and where the
    checker reads each service's state."""
    unique = uuid.uuid4().hex[:10]
    names = (f"taskwire.events.soak{unique}", f"taskwire.dlx.soak{unique}")
    try:
        async with (
            run_environment(infra, unique, names, amqp) as env,
            running_cluster(env | OPEN_GATE) as cluster,
        ):
            channel = await amqp.channel()

            async def dead_letters() -> dict[str, int]:
                depths = {}
                for service in SERVICES:
                    name = env[f"TASKWIRE_{service.upper()}_CONSUMER_QUEUE"] + ".dlq"
                    queue = await channel.declare_queue(name, passive=True)
                    depths[name] = queue.declaration_result.message_count or 0
                return depths

            def dsn(service: str) -> str:
                return asyncpg_dsn(env[f"TASKWIRE_{service.upper()}_DATABASE_URL"])

            yield cluster, Stores(dsn("projects"), dsn("tasks"), dsn("aggregator"), dead_letters)
    finally:
        cleanup = await amqp.channel()
        for name in names:
            await cleanup.exchange_delete(name)


async def soak(args: argparse.Namespace) -> Verdict:
    with provide_infra() as infra:
        amqp = await aio_pika.connect_robust(infra.amqp_url)
        try:
            async with system(infra, amqp) as (cluster, stores):
                print(f"soak: every service twice behind {cluster.gateway}; logs in "
                      f"{cluster.directory}", flush=True)  # fmt: skip
                return await _drive(args, cluster, stores)
        finally:
            await amqp.close()


async def _drive(args: argparse.Namespace, cluster: Cluster, stores: Stores) -> Verdict:
    rng = random.Random(args.seed)
    users = Users(DatabaseSettings(environment="development"))
    print(f"soak: seed {args.seed}; building the world", flush=True)
    spaces = await world.build(cluster.gateway, users, rng, args.workspaces, args.writers, 2)
    clients = cast(spaces, cluster.gateway, users, rng)
    databases = {"projects": stores.projects, "tasks": stores.tasks}
    databases["aggregator"] = stores.aggregator
    faults = Faults(
        cluster, databases, random.Random(rng.random()), args.server_faults, clients.watchers
    )
    stop, stop_watching = asyncio.Event(), asyncio.Event()
    watching = [asyncio.create_task(w.run(stop_watching)) for w in clients.watchers]
    running = [asyncio.create_task(w.run(stop, args.pause)) for w in clients.people]
    running += [asyncio.create_task(a.run(stop, args.pause)) for a in clients.admins]
    if args.faults:
        every = list(faults.menu)
        rng.shuffle(every)
        for order in (every, []):  # two injectors: faults overlap
            running.append(asyncio.create_task(faults.run(stop, args.fault_gap, order)))
    await _load(args.seconds, clients, faults, args.faults)
    stop.set()
    await asyncio.gather(*running)
    quiet_since = time.monotonic()
    print("soak: load stopped, faults repaired; checking every guarantee", flush=True)
    verdict = await check(stores, clients)
    stop_watching.set()
    await asyncio.gather(*watching)
    verdict.add("7 no process left down", cluster.exited() + await _unready(cluster))
    verdict.add("every fault injected and repaired", faults.errors)
    if args.faults:
        missing = sorted(set(faults.menu) - set(faults.by_kind()))
        verdict.add("every kind of fault happened", [f"never: {kind}" for kind in missing])
    await clients.close()
    text = report.render(args.seed, args.seconds, clients, verdict, faults.by_kind(), quiet_since)
    print(text, flush=True)
    return verdict


async def _load(seconds: float, clients: Clients, faults: Faults, every_kind: bool) -> None:
    """Wait out the load (and, with `every_kind`, until every kind of fault has happened),
    saying how it goes every ten seconds."""
    started = time.monotonic()

    def going() -> bool:
        elapsed = time.monotonic() - started
        missing = every_kind and not set(faults.menu) <= set(faults.by_kind())
        return elapsed < seconds or (missing and elapsed < 3 * seconds)

    while going():
        await asyncio.sleep(min(10.0, max(1.0, seconds - (time.monotonic() - started))))
        done = sum(row["attempted"] for row in clients.history.by_kind().values())
        print(f"soak: {time.monotonic() - started:.0f} s, {done} operations, "
              f"{len(faults.log)} faults", flush=True)  # fmt: skip


async def _unready(cluster: Cluster) -> list[str]:
    down = []
    for replica in cluster.replicas:
        try:
            await cluster.ready(replica, timeout=30)
        except (AssertionError, TimeoutError) as exc:
            down.append(f"{replica.name} not ready: {exc}")
    return down


def options(argv: list[str] | None = None) -> argparse.Namespace:
    """The soak's options, from the command line or (for a test) from `argv`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--seed", type=int, default=random.randrange(1 << 32))
    parser.add_argument("--workspaces", type=int, default=2)
    parser.add_argument("--writers", type=int, default=3, help="per workspace")
    parser.add_argument("--no-faults", dest="faults", action="store_false")
    parser.add_argument(
        "--no-server-faults", dest="server_faults", action="store_false",
        help="leave the machine's Postgres, RabbitMQ and Redis alone (the soak's own faults only)",
    )  # fmt: skip
    parser.add_argument("--fault-gap", type=float, default=6.0, help="mean seconds between faults")
    parser.add_argument(
        "--pause", type=float, default=0.05, help="mean seconds between a writer's operations"
    )
    return parser.parse_args(argv)


def main() -> None:
    # The soak's own broker connection (it reads the dead-letter queues' depths) sees every
    # broker fault it injects: those are the soak's doing, not news.
    for name in ("aio_pika", "aiormq"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    verdict = asyncio.run(soak(options()))
    raise SystemExit(0 if verdict.ok else 1)


if __name__ == "__main__":
    main()
