"""Fan-out of events to the WebSocket subscribers of one room: the notifier against a bare server.

For each N of `--connections`, each of `--rounds` rounds starts each side in turn (alternating
which goes first) as its own process, opens N connections from this process (on the other core;
bench/fanout_client.py) and subscribes them: the baseline (bench/fanout_baseline.py) broadcasts
each frame it is handed over a control connection; the notifier (`taskwire.notifier.cli serve`)
takes task events published with confirms to the benchmark's exchange, numbers them in Redis and
broadcasts them to the project room, which the projects service (its own process and database)
authorised. Then a burst of `--events` events: deliveries/s (frames received by all N, from the
first publish to the last receipt), publish-to-receipt p50/p99, CPU per delivery (server and
clients), busy cores; at 1,000 connections, events at each `--rate` per second for `--seconds`
(latency from when each was due); memory per connection from the server's RSS. See
docs/benchmarks.md.

    uv run python bench/fanout.py [--connections 1000,5000,10000] [--events 100] [--rate 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import fanout_client as feed
from bench.aggregator import REDIS_URL, cleanup
from bench.fanout_client import FeedClient, Figures, Recorder, report, text_frame
from bench.projects_write import ADMIN_URL, AMQP_URL, wait_ready
from taskwire.common.broker import Broker, OutgoingMessage, QueueSpec
from taskwire.common.events import encode
from taskwire.common.settings import DatabaseSettings
from taskwire.notifier.handlers import BINDINGS
from taskwire.testkit.board import task_event
from taskwire.testkit.databases import database_url
from taskwire.testkit.ports import free_port
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually

RATE_AT = 1_000  # connections for the events at a fixed rate
WARM_UP = 3  # events through each server before it is measured
Events = list[tuple[int, bytes, str]]  # (number, envelope, event id)
FRAME = b'{"op":"event","room":"%s","seq":%d,"epoch":"b0b0b0b0","event":%s}'  # the notifier's


@dataclass
class Side:
    """One side's server process, and this process's connections to it."""

    name: str
    process: subprocess.Popen[bytes]
    publish: Callable[[Events], Coroutine[None, None, None]]
    recorder: Recorder = field(default_factory=Recorder)
    clients: list[FeedClient] = field(default_factory=list)  # the first: the baseline's control
    subscribed: int = 0
    memory: float = 0.0  # KiB per connection


class Fanout:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args, tag = args, uuid.uuid4().hex[:10]
        self.tag, self.prefix, self.database = tag, f"tw:bench{tag}:", f"tw_bench_fanout_{tag}"
        ours = (f"taskwire.events.bench{tag}", f"taskwire.dlx.bench{tag}")
        self.exchanges = (*ours, f"{ours[0]}.p", f"{ours[1]}.p")  # then the projects service's
        self.queues = [f"{s}.bench{tag}{d}" for s in ("notifier", "projects") for d in ("", ".dlq")]
        self.broker = Broker(AMQP_URL, *ours, connection_name="bench-fanout")
        self.processes: list[subprocess.Popen[bytes]] = []
        self.user, self.number, self.connections = Users(DatabaseSettings())("bench"), 0, 0

    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = Path(tempfile.gettempdir()) / f"taskwire-bench-fanout-{self.tag}-{name}.log"
        env = {**os.environ, "TASKWIRE_AMQP_URL": AMQP_URL, "TASKWIRE_REDIS_URL": REDIS_URL, **env}
        with log.open("ab") as out:
            process = subprocess.Popen([sys.executable, *command], env=env, stdout=out, stderr=out)
        self.processes.append(process)
        print(f"  {name}: pid {process.pid}, log {log}", flush=True)
        return process

    def events(self, count: int) -> Events:
        """The room's next `count` task events, each carrying its number in its title."""
        numbers, self.number = range(self.number + 1, self.number + count + 1), self.number + count
        made = [(n, task_event(self.project, self.workspace, f"fanout#{n}#")) for n in numbers]
        return [(number, encode(event), str(event.id)) for number, event in made]

    async def setup(self) -> None:
        """The projects service with a workspace and project; the notifier's queue, declared as
        the notifier declares it, so that what is published before it consumes waits there."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            "TASKWIRE_PROJECTS_DATABASE_URL": database_url(ADMIN_URL, self.database),
            "TASKWIRE_PROJECTS_PORT": str(port),
            "TASKWIRE_PROJECTS_CONSUMER_QUEUE": self.queues[2],
            "TASKWIRE_EXCHANGE": self.exchanges[2],
            "TASKWIRE_DEAD_LETTER_EXCHANGE": self.exchanges[3],
            "TASKWIRE_REDIS_KEY_PREFIX": self.prefix,
        }
        process = self.spawn("projects", ["-m", "taskwire.projects.cli", "run"], env)
        async with httpx.AsyncClient(base_url=url) as client:
            await wait_ready(client, process)
        self.workspace, self.project = await workspace_and_project(url, self.user)
        self.projects_url, self.room = url, f"project:{self.project}".encode()
        spec = QueueSpec(self.queues[0], BINDINGS, DatabaseSettings().consumer_delivery_limit)
        await self.broker.declare_queue(spec, await self.broker.channel())

    async def baseline(self) -> Side:
        port = free_port()
        script = str(Path(__file__).with_name("fanout_baseline.py"))
        process = self.spawn("baseline", [script, str(port)], {})

        async def control_connection() -> FeedClient | None:
            with contextlib.suppress(OSError):
                return await feed.open_client("127.0.0.1", port, "/control", Recorder())
            return None

        control = await eventually(control_connection, timeout=30, what="the baseline serving")
        assert control is not None

        async def publish(events: Events) -> None:
            for number, body, _ in events:
                side.recorder.sent.setdefault(number, time.perf_counter())
                control.write(text_frame(FRAME % (self.room, number, body)))

        side = Side("baseline", process, publish, clients=[control])
        await self.connect(side, port, [b'{"op":"hello"}', b'{"op":"subscribe"}'])
        return side

    async def notifier(self) -> Side:
        port = free_port()
        env = {
            "TASKWIRE_NOTIFIER_PORT": str(port),
            "TASKWIRE_EXCHANGE": self.exchanges[0],
            "TASKWIRE_DEAD_LETTER_EXCHANGE": self.exchanges[1],
            "TASKWIRE_NOTIFIER_CONSUMER_QUEUE": self.queues[0],
            "TASKWIRE_REDIS_KEY_PREFIX": self.prefix,
            "TASKWIRE_NOTIFIER_PROJECTS_URL": self.projects_url,
            # One user holds every connection; a stopped notifier's may still count for a while.
            "TASKWIRE_NOTIFIER_CONNECTIONS_PER_USER": "1000000",
        }
        process = self.spawn("notifier", ["-m", "taskwire.notifier.cli", "serve"], env)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await wait_ready(client, process)

        async def publish(events: Events) -> None:
            now = time.perf_counter()
            for number, _, _ in events:
                side.recorder.sent.setdefault(number, now)
            batch = [OutgoingMessage("task.created", body, id) for _, body, id in events]
            if failed := [o for o in await self.broker.publish(batch) if o is not None]:
                raise SystemExit(f"{len(failed)} publishes failed: {failed[0]!r}")

        side = Side("notifier", process, publish)
        auth = b'{"op":"auth","token":"%s"}' % self.user.token.encode()
        await self.connect(side, port, [auth, b'{"op":"subscribe","room":"%s"}' % self.room])
        return side

    async def connect(self, side: Side, port: int, hello: list[bytes]) -> None:
        """One connection and a few events first (what the server sets up once: caches, clients,
        scripts), then the other N - 1 and a few events: the RSS they added, per connection."""
        rss = []
        for count in (1, self.connections - 1):
            began = time.perf_counter()
            opened = await feed.connect_many(
                side.name, count, "127.0.0.1", port, side.recorder, hello
            )
            side.clients, side.subscribed = side.clients + opened, side.subscribed + count
            took = time.perf_counter() - began
            print(f"  {side.name}: {count} connected and subscribed in {took:.1f} s", flush=True)
            await self.burst(side, WARM_UP)
            rss.append(feed.rss_kib(side.process.pid))
        side.memory = (rss[1] - rss[0]) / (self.connections - 1)

    async def burst(self, side: Side, count: int) -> tuple[float, ...]:
        events, recorder = self.events(count), side.recorder
        recorder.expect(count * side.subscribed)
        before, began = feed.Usage.now(side.process.pid), time.perf_counter()
        await side.publish(events)
        await feed.received(side.name, recorder)
        wall, usage, n = recorder.last - began, feed.Usage.now(side.process.pid), recorder.expected
        server, own = (usage.server - before.server) / n * 1e6, (usage.own - before.own) / n * 1e6
        row = (n / wall, *quantiles(recorder.latencies), server, own, usage.cores(before))
        if count > WARM_UP:
            print(
                f"  {side.name}: {row[0]:,.0f} deliveries/s, p50 {row[1]:.0f} ms, p99 {row[2]:.0f}"
                f" ms; CPU per delivery: server {server:.1f} µs ({server * row[0] / 1e6:.0%} "
                f"busy), clients {own:.1f} µs; {row[5]:.1f} cores busy; {recorder.inversions} "
                "out of order",
                flush=True,
            )
        return row

    async def pace(self, side: Side, rate: float) -> tuple[float, float]:
        events = self.events(int(rate * self.args.seconds))
        side.recorder.expect(len(events) * side.subscribed)
        start, pending = time.perf_counter() + 0.05, set[asyncio.Task[None]]()
        for i, event in enumerate(events):
            due = start + i / rate
            if (delay := due - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            side.recorder.sent[event[0]] = due  # from when it was due: no coordinated omission
            pending.add(asyncio.create_task(side.publish([event])))
        await asyncio.gather(*pending)
        await feed.received(side.name, side.recorder)
        p50, p99 = quantiles(side.recorder.latencies)
        print(f"  {side.name}: {rate:g} events/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
        return p50, p99

    async def size(self, connections: int) -> dict[str, Figures]:
        self.connections, figures = connections, {"baseline": Figures(), "notifier": Figures()}
        print(f"\n{connections:,} connections", flush=True)
        for number in range(self.args.rounds):
            print(f"round {number + 1}/{self.args.rounds}: bursts of {self.args.events} events")
            for name in list(figures) if number % 2 == 0 else list(figures)[::-1]:
                side = await (self.baseline() if name == "baseline" else self.notifier())
                gc.freeze()  # the round's connections: left out of this process's collections
                try:
                    found = figures[name]
                    found.memory.append(side.memory)
                    found.bursts.append(await self.burst(side, self.args.events))
                    for rate in self.args.rate if connections == RATE_AT else []:
                        found.paced.setdefault(rate, []).append(await self.pace(side, rate))
                finally:
                    for client in side.clients:
                        client.close()
                    await stop(side.process)
                    gc.unfreeze()
        return figures


def quantiles(seconds: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds (nearest rank)."""
    ordered = sorted(seconds)
    p50, p99 = (ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.5, 0.99))
    return p50 * 1000, p99 * 1000


async def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, kill after 30 s; the loop runs meanwhile (closed connections do close)."""
    process.terminate()
    try:
        await asyncio.wait_for(asyncio.to_thread(process.wait), 30)
    except TimeoutError:
        process.kill()
        process.wait()


async def bench(args: argparse.Namespace) -> None:
    if min(args.connections) < 2:
        raise SystemExit("--connections: at least 2 each")
    run, results = Fanout(args), dict[int, dict[str, Figures]]()
    # Ctrl-C reaches `uv run`, which passes it on, as well as this process: the first cancels
    # the run, the others must not interrupt its clean-up.
    main = asyncio.current_task()
    assert main is not None
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(
            sig, lambda: main.cancelling() or main.cancel()
        )
    limit = feed.raise_fd_limit()
    print(f"fan-out benchmark {run.tag}: open files limit {limit}", flush=True)
    try:
        await run.broker.connect()
        await run.setup()
        for connections in args.connections:
            if connections + 1_000 > limit:
                print(f"\n{connections:,} connections: skipped, the open files limit is {limit}")
                continue
            results[connections] = await run.size(connections)
    finally:
        for process in run.processes:
            await stop(process)
        await cleanup(run.broker, run.exchanges, run.queues, [run.database], run.prefix)
    report(results, args)


def listed(kind: Callable[[str], float]) -> Callable[[str], list[float]]:
    return lambda text: [kind(part) for part in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--connections", type=listed(int), default=[1_000, 5_000, 10_000])
    parser.add_argument("--events", type=int, default=100, help="events per burst")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=listed(float), default=[50.0, 100.0, 200.0])
    parser.add_argument("--seconds", type=float, default=5.0, help="at each rate")
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(bench(parser.parse_args()))
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.exit("interrupted (its processes, database, exchanges, queues and Redis keys are gone)")


if __name__ == "__main__":
    main()
