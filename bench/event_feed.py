"""Task events published once to queues, and a bare consumer of them: the broker side of
bench/aggregator.py (the events, their ground truth, the baseline)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from taskwire.common.broker import Broker, OutgoingMessage
from taskwire.common.events import encode
from taskwire.common.events.projects import Category, Counts
from taskwire.testkit.board import Board
from taskwire.testkit.counts import expected_counts

# What users do to tasks: mostly moves; tasks accumulate (more creates than deletes).
OPERATIONS = {"create": 25, "move": 50, "archive or restore": 15, "delete": 10}
# (routing key, body, message id): plain tuples of bytes and strings, which the garbage
# collector stops tracking, so the benchmark's own data does not slow the collections of the
# aggregator it runs in the same process.
Message = tuple[str, bytes, str]


@dataclass
class Run:
    """One side's run: from the first message delivered to the last batch acked, in wall and
    in this process's CPU time."""

    first: float = 0.0
    last: float = 0.0
    cpu: tuple[float, float] = (0.0, 0.0)
    handled: int = 0
    batches: int = 0
    apply: list[float] = field(default_factory=list)  # seconds per batch transaction

    def delivered(self) -> None:
        if not self.first:
            self.first, self.cpu = time.perf_counter(), (time.process_time(), 0.0)

    def acked(self) -> None:
        self.last, self.cpu = time.perf_counter(), (self.cpu[0], time.process_time())

    @property
    def rate(self) -> float:
        return self.handled / (self.last - self.first) if self.last > self.first else 0.0

    @property
    def cpu_per_event(self) -> float:
        """Microseconds of this process's CPU per event."""
        return (self.cpu[1] - self.cpu[0]) / self.handled * 1e6 if self.handled else 0.0

    @property
    def size(self) -> float:
        """Events per batch (per ack)."""
        return self.handled / self.batches if self.batches else 0.0

    def __str__(self) -> str:
        busy = (self.cpu[1] - self.cpu[0]) / (self.last - self.first) if self.rate else 0.0
        cpu = f"process CPU {busy:.0%} busy, {self.cpu_per_event:.0f} µs/event"
        return f"{self.rate:.0f} events/s ({cpu}, {self.size:.0f} per batch)"


def make_events(
    count: int, projects: int, duplicates: float, seed: int
) -> tuple[list[Message], dict[uuid.UUID, Counts]]:
    """`count` messages as the tasks service publishes them, a share of them twice; and a
    recount of the tasks' final states (the projects whose counts are not all zero)."""
    rng, board, live = random.Random(seed), Board(projects), list[uuid.UUID]()
    names, weights, categories = list(OPERATIONS), list(OPERATIONS.values()), list(Category)
    distinct = round(count / (1 + duplicates))
    events: list[Message] = []
    for _ in range(distinct):
        operation = rng.choices(names, weights)[0] if live else "create"
        if operation == "create":
            event = board.create(rng.choice(board.projects), rng.choice(categories))
            live.append(event.subject.id)
        else:
            at = rng.randrange(len(live))
            task = board.tasks[live[at]]
            if operation == "delete":
                live[at] = live[-1]
                live.pop()
                event = board.delete(task.id)
            elif operation == "move":
                event = board.move(task.id, rng.choice(categories))
            else:
                event = board.restore(task.id) if task.archived_at else board.archive(task.id)
        events.append((event.type, encode(event), str(event.id)))
    # A redelivery comes back after what was delivered meanwhile: up to a few batches later.
    order = [(float(i), m) for i, m in enumerate(events)]
    again = rng.sample(range(distinct), count - distinct)
    order += [(i + rng.uniform(1, 1_000), events[i]) for i in again]
    order.sort(key=lambda pair: pair[0])
    return [message for _, message in order], expected_counts(board.facts())


async def publish(broker: Broker, messages: list[Message]) -> None:
    """Publish in order, with confirms, as the tasks service's relay does."""
    began, chunk = time.perf_counter(), 2_000
    for start in range(0, len(messages), chunk):
        batch = [OutgoingMessage(*m) for m in messages[start : start + chunk]]
        outcomes = await broker.publish(batch, timeout=60)
        if failed := [o for o in outcomes if o is not None]:
            raise SystemExit(f"{len(failed)} publishes failed: {failed[0]!r}")
        done = start + len(batch)
        if done % 10_000 < chunk or done == len(messages):
            print(f"  ... published {done}/{len(messages)}", flush=True)
    rate = len(messages) / (time.perf_counter() - began)
    print(f"  published to both queues with confirms: {rate:.0f} messages/s", flush=True)


async def watch(name: str, handled: Callable[[], int], expected: int) -> None:
    """Wait until `expected` are handled, polling every 5 ms; progress each second."""
    shown = stalled = time.perf_counter()
    seen = 0
    while (now := handled()) < expected:
        await asyncio.sleep(0.005)
        t = time.perf_counter()
        if now > seen:
            seen, stalled = now, t
        elif t - stalled > 30:
            raise SystemExit(f"{name}: stuck at {now}/{expected} for 30 s")
        if t - shown >= 1:
            print(f"  ... {name}: {now}/{expected}", flush=True)
            shown = t


async def baseline(
    connection: AbstractRobustConnection, queue: str, expected: int, prefetch: int
) -> Run:
    """BatchConsumer's take and ack (a batch is what has arrived, up to the prefetch; one ack
    with `multiple` for it), without decoding, parsing or a transaction."""
    run, waiting, arrived = Run(), list[AbstractIncomingMessage](), asyncio.Event()
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=prefetch)

    async def on_message(message: AbstractIncomingMessage) -> None:
        run.delivered()
        waiting.append(message)
        arrived.set()

    async def work() -> None:
        nonlocal waiting
        while True:
            await arrived.wait()
            batch, waiting = waiting[:prefetch], waiting[prefetch:]
            if not waiting:
                arrived.clear()
            if batch:
                await batch[-1].ack(multiple=True)
                run.handled += len(batch)
                run.batches += 1
                run.acked()

    worker = asyncio.create_task(work())
    await (await channel.get_queue(queue, ensure=False)).consume(on_message)
    try:
        await watch("baseline", lambda: run.handled, expected)
    finally:
        worker.cancel()
        await channel.close()
    return run
