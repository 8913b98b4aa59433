"""The consumer under faults: a crash between commit and ack, poison messages, two instances."""

from __future__ import annotations

import asyncio
import random

import orjson
import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from asgi_lifespan import LifespanManager

from taskwire.aggregator.app import create_app
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.common.batch_consumer import BatchConsumer
from taskwire.common.consumer import REASON_HEADER
from taskwire.common.events import Envelope, Subject, encode, new_event
from taskwire.common.runtime import ServiceRuntime
from taskwire.testkit.board import Board
from taskwire.testkit.counts import CountsDb, expected_counts, nonzero
from taskwire.testkit.waiting import eventually
from tests.support.amqp import EventTap, Publisher, dead_letters


def board_events(board: Board, count: int, seed: int) -> list[Envelope]:
    rng = random.Random(seed)
    events: list[Envelope] = []
    while len(events) < count:
        if (event := board.random_operation(rng)) is not None:
            events.append(event)
    return events


async def test_a_crash_between_commit_and_ack_counts_nothing_twice(
    tasks: Publisher, runtime: ServiceRuntime, db: CountsDb, tap: EventTap
) -> None:
    consumer = runtime.consumers[0]
    assert isinstance(consumer, BatchConsumer)
    crashed = asyncio.Event()
    committed_before_crash: list[int] = []

    async def crash(last: AbstractIncomingMessage) -> None:
        # Committed, not acked: the channel dies here, as it would with the process.
        committed_before_crash.append(consumer.handled)
        assert consumer._channel is not None
        await consumer._channel.close()
        crashed.set()

    consumer._settle_batch = crash  # type: ignore[method-assign]
    board = Board(projects=2)
    events = board_events(board, 40, seed=1)
    await tasks.publish(*events)
    await asyncio.wait_for(crashed.wait(), 10)
    del consumer._settle_batch  # back to acking
    versions_at_crash = await db.versions()

    await consumer.stop()
    await consumer.start()
    # Everything unacked comes again: the crashed batch is applied a second time.
    await eventually(
        lambda: consumer.handled >= len(events) + committed_before_crash[0],
        what="the redelivered batch and the rest",
    )
    assert nonzero(await db.counts()) == expected_counts(board.facts())
    versions = await db.versions()
    # Redelivered events changed nothing: the counts moved once per applied change, no more.
    progress = 0
    while True:
        try:
            event = await tap.next(timeout=1.0)
        except TimeoutError:
            break
        progress += event.type == "project.progress_changed"
    assert progress == sum(versions.values())
    assert all(versions[p] >= v for p, v in versions_at_crash.items())


async def test_poison_messages_go_to_the_dead_letter_queue_and_the_rest_is_counted(
    tasks: Publisher, settings: AggregatorSettings, amqp: AbstractRobustConnection, db: CountsDb
) -> None:
    board = Board()
    good = board_events(board, 10, seed=2)
    unknown = new_event(
        "task.exploded",
        producer="tasks",
        subject=Subject(kind="task", id=board.projects[0], version=1),
        data=board.tasks[good[0].subject.id],
    )
    not_a_task = good[0].model_copy(update={"data": {"id": "nope"}})
    await tasks.publish(*good[:5])
    await tasks.publish_raw(b"{not json", "task.created")
    await tasks.publish_raw(encode(unknown), "task.exploded")
    await tasks.publish_raw(encode(not_a_task), "task.created")
    await tasks.publish(*good[5:])

    letters = await dead_letters(amqp, settings.consumer_queue, 3)
    reasons = [str(m.headers[REASON_HEADER]) for m in letters]  # in the order they came
    assert "not a valid event envelope" in reasons[0]
    assert "unknown event type 'task.exploded'" in reasons[1]
    assert "task.created data is not a task: id" in reasons[2]
    assert {m.headers["x-taskwire-queue"] for m in letters} == {settings.consumer_queue}
    await tasks.handled()
    assert nonzero(await db.counts()) == expected_counts(board.facts())


async def test_two_instances_on_one_queue_keep_exact_counts(
    tasks: Publisher, settings: AggregatorSettings, runtime: ServiceRuntime, db: CountsDb
) -> None:
    second = create_app(settings)
    async with LifespanManager(second):
        other: ServiceRuntime = second.state.runtime
        await eventually(lambda: other.consumers[0]._tag is not None, what="second consumer")
        board = Board(projects=3)
        events = board_events(board, 400, seed=3)
        rng = random.Random(4)
        delivered = events + rng.sample(events, 150)  # with duplicates
        rng.shuffle(delivered)
        await tasks.publish(*delivered)

        def both() -> int:
            return runtime.consumers[0].handled + other.consumers[0].handled

        await eventually(lambda: both() >= len(delivered), timeout=30, what="every delivery")
        assert other.consumers[0].handled > 0, "the second instance took part"
        assert nonzero(await db.counts()) == expected_counts(board.facts())


@pytest.mark.parametrize("body", [b"", b"[]", orjson.dumps({"type": "task.created"})])
async def test_a_message_that_is_no_envelope_is_dead_lettered(
    body: bytes, tasks: Publisher, settings: AggregatorSettings, amqp: AbstractRobustConnection
) -> None:
    await tasks.publish_raw(body, "task.updated")
    (letter,) = await dead_letters(amqp, settings.consumer_queue, 1)
    assert letter.body == body
    assert "not a valid event envelope" in str(letter.headers[REASON_HEADER])


async def test_a_burst_within_the_linger_is_one_transaction_and_one_progress_event(
    tasks: Publisher, runtime: ServiceRuntime, settings: AggregatorSettings, db: CountsDb,
    tap: EventTap,
) -> None:  # fmt: skip
    consumer = runtime.consumers[0]
    assert isinstance(consumer, BatchConsumer)
    assert consumer.linger == settings.consumer_linger_ms / 1000 > 0.02
    board = Board(projects=1)
    events = board_events(board, 8, seed=5)
    for event in events:  # one every 5 ms: alone, each would be a batch of its own
        await tasks.publish(event)
        await asyncio.sleep(0.005)
    await eventually(lambda: consumer.handled >= len(events), what="every event")
    # The first at once, the rest together (a loaded machine may split them once more).
    assert consumer.batches <= len(events) // 2, consumer.batches
    assert nonzero(await db.counts()) == expected_counts(board.facts())
    progress = 0
    while True:
        try:
            progress += (await tap.next(timeout=1.0)).type == "project.progress_changed"
        except TimeoutError:
            break
    assert progress == consumer.batches  # one project, so one progress event per batch


async def test_an_event_after_a_quiet_spell_is_counted_at_once_and_a_flow_waits_for_the_next_batch(
    tasks: Publisher, runtime: ServiceRuntime, db: CountsDb
) -> None:
    consumer = runtime.consumers[0]
    assert isinstance(consumer, BatchConsumer)
    consumer.linger = 1.0  # read at each batch: long enough that no timing here is close
    board = Board(projects=1)
    first, *flow = board_events(board, 4, seed=7)
    await asyncio.sleep(consumer.linger)  # a quiet spell: no batch began within the linger

    loop = asyncio.get_running_loop()
    sent = loop.time()
    await tasks.publish(first)
    await eventually(lambda: consumer.handled >= 1, what="the first event")
    assert loop.time() - sent < consumer.linger / 2  # not held back for company
    batches = consumer.batches
    for event in flow:  # within the linger of the first batch: they wait for the next one
        await tasks.publish(event)
    await asyncio.sleep(consumer.linger / 4)
    assert consumer.handled == 1
    await eventually(lambda: consumer.handled >= 1 + len(flow), what="the flow")
    assert loop.time() - sent >= consumer.linger
    assert consumer.batches == batches + 1
    assert nonzero(await db.counts()) == expected_counts(board.facts())
