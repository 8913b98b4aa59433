"""The consumer: each event handled in a transaction, acked after commit, dead-lettered with why."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from uuid import UUID

import orjson
import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.common.broker import OutgoingMessage
from taskwire.common.consumer import REASON_HEADER
from taskwire.common.db import UnitOfWork
from taskwire.common.events import Envelope, encode
from taskwire.common.ids import new_id
from taskwire.testkit.waiting import eventually
from tests.support.amqp import dead_letters
from tests.support.factories import BrokerFactory
from tests.support.outbox_db import OutboxDb, item_event
from tests.support.replica import (
    Calls,
    apply_item,
    outgoing,
    replica_count,
    replica_row,
)

ConsumerFactory = Callable[..., Any]


async def test_a_failed_attempt_commits_nothing_and_the_event_is_retried(
    make_broker: BrokerFactory, start_consumer: ConsumerFactory, outbox_db: OutboxDb
) -> None:
    calls = Calls()

    async def flaky(uow: UnitOfWork, event: Envelope) -> None:
        calls.seen.append(event.id)
        await apply_item(uow, event)
        if calls.count(event.id) < 3:
            raise RuntimeError("not yet")

    broker = make_broker()
    consumer = await start_consumer(broker, flaky, delivery_limit=5)
    event = item_event("item.created", new_id(), 1, "flaky")
    await broker.publish([outgoing(event)])
    await eventually(lambda: consumer.handled == 1, what="handled")
    assert calls.count(event.id) == 3
    assert await replica_count(outbox_db.engine) == 1  # the two failed attempts left nothing
    assert consumer.dead_lettered == 0
    failures = {"queue": consumer.spec.name, "outcome": "failed"}
    assert (
        consumer.metrics.registry.get_sample_value("taskwire_consumer_messages_total", failures)
        == 2
    )


async def test_unreadable_messages_are_dead_lettered_and_the_next_one_handled(
    make_broker: BrokerFactory,
    start_consumer: ConsumerFactory,
    outbox_db: OutboxDb,
    amqp: AbstractRobustConnection,
    unique: str,
) -> None:
    broker = make_broker()
    consumer = await start_consumer(broker, apply_item)
    future = orjson.loads(encode(item_event("item.created", new_id(), 1, "future")))
    future["schema"] = 99
    good = item_event("item.created", new_id(), 1, "good")
    await broker.publish(
        [
            OutgoingMessage("item.created", b"\x00 not json", "garbage"),
            OutgoingMessage("item.created", orjson.dumps(future), "future"),
            outgoing(good),
        ]
    )
    await eventually(lambda: consumer.handled == 1 and consumer.dead_lettered == 2)
    registry = consumer.metrics.registry
    for outcome, expected in (("processed", 1), ("dead_lettered", 2), ("failed", 0)):
        labels = {"queue": f"q{unique}", "outcome": outcome}
        assert registry.get_sample_value("taskwire_consumer_messages_total", labels) == expected
    dead = await dead_letters(amqp, f"q{unique}", 2)
    reasons = {m.message_id: str(m.headers[REASON_HEADER]) for m in dead}
    assert "not a valid event envelope" in reasons["garbage"]
    assert "unsupported schema 99" in reasons["future"]
    assert {m.body for m in dead} >= {b"\x00 not json"}
    assert await replica_count(outbox_db.engine) == 1


async def test_a_handler_that_always_fails_is_dead_lettered_after_the_limit(
    make_broker: BrokerFactory,
    start_consumer: ConsumerFactory,
    amqp: AbstractRobustConnection,
    unique: str,
) -> None:
    calls = Calls()
    poison = item_event("item.created", new_id(), 1, "poison")

    async def picky(uow: UnitOfWork, event: Envelope) -> None:
        calls.seen.append(event.id)
        if event.id == poison.id:
            raise ValueError("cannot apply this one")
        await apply_item(uow, event)

    broker = make_broker()
    consumer = await start_consumer(broker, picky, delivery_limit=3)
    after = item_event("item.created", new_id(), 1, "after")
    await broker.publish([outgoing(poison), outgoing(after)])
    await eventually(lambda: consumer.dead_lettered == 1 and consumer.handled == 1)
    assert calls.count(poison.id) == 3
    [dead] = await dead_letters(amqp, f"q{unique}", 1)
    assert dead.message_id == str(poison.id)
    assert dead.headers[REASON_HEADER] == "ValueError: cannot apply this one"
    assert dead.headers["x-taskwire-queue"] == f"q{unique}"


async def test_stale_and_duplicate_events_change_nothing(
    make_broker: BrokerFactory, start_consumer: ConsumerFactory, outbox_db: OutboxDb
) -> None:
    broker = make_broker()
    consumer = await start_consumer(broker, apply_item)
    item = new_id()
    v1, v2, v3 = (item_event("item.updated", item, v, f"v{v}") for v in (1, 2, 3))
    # Handled concurrently (prefetch), so in any order: the newest version wins regardless.
    await broker.publish([outgoing(e) for e in (v1, v3, v2)])
    await eventually(lambda: consumer.handled == 3)
    row = await replica_row(outbox_db.engine, item)
    assert row is not None
    assert (row["version"], row["name"]) == (3, "v3")
    applied = row["applied"]

    await broker.publish([outgoing(e) for e in (v3, v1, v2, v3)])
    await eventually(lambda: consumer.handled == 7)
    assert await replica_row(outbox_db.engine, item) == row
    assert row["applied"] == applied


@pytest.mark.parametrize("in_order", [False, True])
async def test_in_order_handles_deliveries_one_at_a_time_in_queue_order(
    make_broker: BrokerFactory, start_consumer: ConsumerFactory, in_order: bool
) -> None:
    """The earlier an event, the longer its handler takes: overlapping handlers finish newest
    first, so only a consumer that waits its turn applies them in the queue's order."""
    events = [item_event("item.created", new_id(), 1, f"{n}") for n in range(10)]
    position = {e.id: n for n, e in enumerate(events)}
    applied: list[UUID] = []

    async def slow_first(uow: UnitOfWork, event: Envelope) -> None:
        await asyncio.sleep(0.005 * (10 - position[event.id]))
        applied.append(event.id)

    broker = make_broker()
    consumer = await start_consumer(broker, slow_first, in_order=in_order)
    await broker.publish([outgoing(e) for e in events])
    await eventually(lambda: consumer.handled == 10, what="all handled")
    assert (applied == [e.id for e in events]) is in_order, applied
