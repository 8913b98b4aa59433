"""Throughput of the aggregator applying task events, against bare consuming of the same events.

Each round gets a fresh database migrated with the aggregator's migrations and two identical
durable quorum queues, declared as the aggregator declares its own (`Broker.declare_queue`) and
bound to `task.*` on the benchmark's own exchange. The same task events (creates, moves,
archives, restores and deletes over `--projects` projects, a `--duplicates` share of them
delivered again a little later, as redeliveries are) are published once, with confirms, so both
queues hold the same messages. Then, in an order that alternates between rounds:
  - the baseline: a consumer with the aggregator's prefetch that batches and acks exactly as its
    BatchConsumer does, decoding nothing and touching no database (bench/event_feed.py);
  - the aggregator: `create_app()` under its lifespan (decode and parse, one transaction per
    batch, its relay publishing progress events to a bounded sink queue, its counts cache in
    Redis), its consumer's methods wrapped from outside to time them.
Both run in this process on uvloop (what uvicorn runs the services on). Events/s run from the
first message delivered to the last batch acked; the process's CPU per event is shown beside
them. After each round the stored counts must equal a recount of the ground truth, else it exits
non-zero. Settings not given here come from the environment (TASKWIRE_AGGREGATOR_*), for both.

    uv run python bench/aggregator.py [--events 50000] [--projects 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import uvloop
from aio_pika.abc import AbstractIncomingMessage
from asgi_lifespan import LifespanManager

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.event_feed import Run, baseline, make_events, publish, watch
from bench.load import percentile
from bench.projects_write import ADMIN_URL, AMQP_URL
from taskwire.aggregator.app import create_app
from taskwire.aggregator.handlers import BINDINGS
from taskwire.aggregator.migrate import upgrade
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.common.batch_consumer import BatchConsumer
from taskwire.common.broker import Broker, QueueSpec
from taskwire.common.events.projects import Counts
from taskwire.testkit.counts import CountsDb, nonzero
from taskwire.testkit.databases import create_database, drop_database
from taskwire.testkit.infra import LOCAL_REDIS
from taskwire.testkit.keys import forget_keys

REDIS_URL = os.environ.get("TASKWIRE_TEST_REDIS_URL", LOCAL_REDIS)
TARGET_RATE, TARGET_RATIO = 5_000.0, 0.5


async def aggregator(settings: AggregatorSettings, expected: int) -> Run:
    """The service as it runs, its consumer's methods wrapped from outside to time them."""
    run, app = Run(), create_app(settings)
    consumer = app.state.runtime.consumers[0]
    assert isinstance(consumer, BatchConsumer)
    on_message, apply, settle = consumer._on_message, consumer._apply_batch, consumer._settle_batch

    async def first(message: AbstractIncomingMessage) -> None:
        run.delivered()
        await on_message(message)

    async def timed(items: list[object]) -> None:
        began = time.perf_counter()
        await apply(items)
        run.apply.append(time.perf_counter() - began)

    async def settled(last: AbstractIncomingMessage) -> None:
        await settle(last)
        run.acked()

    consumer._on_message = first  # type: ignore[method-assign]
    consumer._apply_batch = timed  # type: ignore[method-assign]
    consumer._settle_batch = settled  # type: ignore[method-assign]
    gc.freeze()  # as `taskwire-aggregator serve` does once the app is built
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        await watch("aggregator", lambda: consumer.handled, expected)
    run.handled, run.batches = consumer.handled, consumer.batches
    return run


async def exact(database_url: str, truth: dict[uuid.UUID, Counts]) -> bool:
    async with CountsDb.open(database_url) as db:
        stored = nonzero(await db.counts())
    for project in sorted(stored.keys() | truth.keys()):
        if stored.get(project) != truth.get(project):
            print(f"  DRIFT {project}: stored {stored.get(project)}, truth {truth.get(project)}")
    return stored == truth


async def bench(args: argparse.Namespace) -> None:
    tag = uuid.uuid4().hex[:10]
    exchange, dlx = f"taskwire.events.bench{tag}", f"taskwire.dlx.bench{tag}"
    template, prefix = f"tw_bench_aggregator_{tag}", f"tw:bench{tag}:"
    queues, databases = [f"bench.sink{tag}"], [template]
    defaults = AggregatorSettings(environment="development")
    prefetch = defaults.consumer_prefetch
    messages, truth = make_events(args.events, args.projects, args.duplicates, args.seed)
    print(
        f"aggregator benchmark {tag}: {len(messages)} task events over {args.projects} projects "
        f"({args.duplicates:.0%} delivered twice), prefetch {prefetch}, {args.rounds} rounds",
        flush=True,
    )
    broker = Broker(AMQP_URL, exchange, dlx, connection_name="bench-aggregator")
    runs: list[tuple[Run, Run]] = []
    try:
        await upgrade(await create_database(ADMIN_URL, template))
        connection = await broker.connect()
        channel = await broker.channel()
        # Where the aggregator's progress events go (the projects service's and the notifier's
        # queues): bounded and unread, so its relay publishes as in production at no cost here.
        bounded = {"x-max-length": 10_000, "x-overflow": "drop-head"}
        sink = await channel.declare_queue(queues[0], arguments=bounded)
        await sink.bind(exchange, "project.#")
        for number in range(1, args.rounds + 1):
            print(f"round {number}/{args.rounds}", flush=True)
            names = {side: f"{side}.bench{tag}r{number}" for side in ("baseline", "aggregator")}
            for name in names.values():
                queues += [name, f"{name}.dlq"]
                spec = QueueSpec(name, BINDINGS, defaults.consumer_delivery_limit)
                await broker.declare_queue(spec, channel)
            databases.append(f"{template}_r{number}")
            url = await create_database(ADMIN_URL, databases[-1], template=template)
            await publish(broker, messages)
            settings = AggregatorSettings(
                environment="development",
                database_url=url,
                amqp_url=AMQP_URL,
                redis_url=REDIS_URL,
                exchange=exchange,
                dead_letter_exchange=dlx,
                consumer_queue=names["aggregator"],
                redis_key_prefix=prefix,
            )
            done: dict[str, Run] = {}
            for side in ("baseline", "aggregator") if number % 2 else ("aggregator", "baseline"):
                if side == "baseline":
                    done[side] = await baseline(connection, names[side], len(messages), prefetch)
                else:
                    done[side] = await aggregator(settings, len(messages))
                print(f"  {side}: {done[side]}", flush=True)
            runs.append((done["baseline"], done["aggregator"]))
            if not await exact(url, truth):
                raise SystemExit(f"round {number}: the stored counts differ from a recount")
            print(f"  counts exact in all {len(truth)} projects", flush=True)
    finally:
        await cleanup(broker, (exchange, dlx), queues, databases, prefix)
    if runs:
        report(runs)


def report(runs: list[tuple[Run, Run]]) -> None:
    head = ("round", "baseline/s", "aggregator/s", "ratio", "CPU µs/ev", "ev/batch", "p50 ms")
    print("\n  {:<7}{:>11}{:>13}{:>7}{:>12}{:>12}{:>9}{:>9}".format(*head, "p99 ms"))
    rows = [
        [b.rate, a.rate, a.rate / b.rate, b.cpu_per_event, a.cpu_per_event, b.size, a.size]
        for b, a in runs
    ]
    for number, (values, (_, agg)) in enumerate(zip(rows, runs, strict=True), 1):
        line(str(number), values, agg.apply)
    medians = [statistics.median(column) for column in zip(*rows, strict=True)]
    line("median", medians, [t for _, a in runs for t in a.apply])
    print("  (CPU: this process's per event, and events per ack: baseline / aggregator;")
    print("   p50, p99: the aggregator's transaction per batch)\n")
    targets = (("events/s", medians[1], TARGET_RATE), ("ratio", medians[2], TARGET_RATIO))
    for name, value, target in targets:
        verdict = "PASS" if value >= target else "FAIL"
        shown = f"{value:.2f}" if value < 10 else f"{value:.0f}"
        print(f"  aggregator {name} >= {target:g}: {verdict} (median {shown})")


def line(label: str, v: list[float], apply: list[float]) -> None:
    p50, p99 = percentile(apply, 0.5), percentile(apply, 0.99)
    print(f"  {label:<7}{v[0]:>11.0f}{v[1]:>13.0f}{v[2]:>7.2f}", end="")
    print(f"{v[3]:>7.0f} / {v[4]:<3.0f}{v[5]:>7.0f} / {v[6]:<3.0f}{p50:>8.2f}{p99:>9.2f}")


async def cleanup(
    broker: Broker, exchanges: tuple[str, ...], queues: list[str], databases: list[str], prefix: str
) -> None:
    channel = await broker.channel()
    for queue in queues:
        await channel.queue_delete(queue)
    for exchange in exchanges:
        await channel.exchange_delete(exchange)
    await broker.close()
    await forget_keys(REDIS_URL, prefix)
    for name in databases:
        await drop_database(ADMIN_URL, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duplicates", type=float, default=0.05, help="share delivered twice")
    parser.add_argument("--seed", type=int, default=1)
    try:
        # The loop the services run on (uvicorn picks uvloop when installed), for both sides.
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(bench(parser.parse_args()))
    except KeyboardInterrupt:
        sys.exit("interrupted (its databases, exchanges, queues and Redis keys are removed)")


if __name__ == "__main__":
    main()
