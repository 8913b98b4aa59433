"""The relay under faults: broker outages and cuts mid-batch, refused and unroutable events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.testkit.waiting import eventually, eventually_equals
from tests.support.amqp import EventTap, open_tap
from tests.support.factories import BrokerFactory, RelayFactory
from tests.support.outbox_db import OutboxDb, save_items
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow


async def first_arrivals(tap: EventTap, expected: set[str], timeout: float = 15) -> list[str]:
    """Message ids in the order they first arrive, until every expected one has (duplicates are
    allowed by at-least-once delivery; a gap or a reordering is not)."""
    seen: list[str] = []
    while not expected <= set(seen):
        message_id = (await tap.next_message(timeout)).message_id
        assert message_id is not None
        if message_id not in seen:
            seen.append(message_id)
    return seen


async def test_events_committed_during_a_broker_outage_all_arrive_in_order(
    make_broker: BrokerFactory,
    make_proxy: Callable[[], Any],
    make_relay: RelayFactory,
    outbox_db: OutboxDb,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
) -> None:
    tap = await open_tap(amqp, exchange_names[0], "item.*")
    proxy: TcpProxy = await make_proxy()
    relay = make_relay(make_broker(proxy), broker_grace_seconds=0.3)
    before = await outbox_db.save_item("before")
    assert (await tap.next_message()).message_id == str(before.id)

    await proxy.cut()
    during = [await outbox_db.save_item(f"during-{n}") for n in range(10)]
    await tap.assert_quiet(0.3)
    assert await outbox_db.unpublished() == 10
    await eventually(lambda: not relay.is_leader, what="step down without a broker")

    await proxy.start()
    ids = [str(e.id) for e in during]
    assert await first_arrivals(tap, set(ids)) == ids
    await eventually_equals(outbox_db.unpublished, 0, what="unpublished rows")


async def test_a_cut_in_the_middle_of_a_batch_loses_nothing_and_keeps_order(
    make_broker: BrokerFactory,
    make_proxy: Callable[[], Any],
    make_relay: RelayFactory,
    outbox_db: OutboxDb,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
) -> None:
    tap = await open_tap(amqp, exchange_names[0], "item.*")
    proxy: TcpProxy = await make_proxy()
    broker = make_broker(proxy)
    relay = make_relay(broker, broker_grace_seconds=0.3, batch_size=500)
    await broker.wait_connected(timeout=10)
    await eventually(lambda: relay.is_leader, what="leadership")

    proxy.sever_after(40_000)  # some way into the batch below
    batch = await save_items(outbox_db, [f"batch-{n}" for n in range(400)])
    await proxy.severed.wait()
    later = [await outbox_db.save_item(f"later-{n}") for n in range(5)]
    await proxy.start()

    ids = [str(e.id) for e in batch + later]
    assert await first_arrivals(tap, set(ids)) == ids
    await eventually_equals(outbox_db.unpublished, 0, what="unpublished rows")


async def test_an_unroutable_event_waits_without_blocking_the_others(
    make_broker: BrokerFactory,
    make_relay: RelayFactory,
    outbox_db: OutboxDb,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
) -> None:
    tap = await open_tap(amqp, exchange_names[0], "item.*")
    relay = make_relay(make_broker())
    first = await outbox_db.save_item("first")
    orphan = await outbox_db.save_item("orphan", event_type="orphan.created")
    last = await outbox_db.save_item("last")
    assert [(await tap.next_message()).message_id for _ in range(2)] == [
        str(first.id),
        str(last.id),
    ]

    async def orphan_row() -> dict[str, Any]:
        return next(r for r in await outbox_db.outbox_rows() if r["id"] == orphan.id)

    row = await eventually(lambda: _deferred(orphan_row()), what="orphan deferred")
    assert row["published_at"] is None
    assert "no queue bound" in row["last_error"]
    assert row["next_attempt_at"] > row["created_at"]
    await tap.assert_quiet(0.3)
    assert relay.published == 2

    orphans = await open_tap(amqp, exchange_names[0], "orphan.*")
    assert (await orphans.next_message(timeout=10)).message_id == str(orphan.id)
    await eventually_equals(outbox_db.unpublished, 0, what="unpublished rows")


async def _deferred(row: Any) -> dict[str, Any] | None:
    found: dict[str, Any] = await row
    return found if found["attempts"] >= 1 else None


async def test_events_the_broker_refuses_are_retried_in_order(
    make_broker: BrokerFactory,
    make_relay: RelayFactory,
    outbox_db: OutboxDb,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
    unique: str,
) -> None:
    """A full queue that rejects publishes makes the broker nack: not lost, not deferred."""
    channel = await amqp.channel()
    exchange = await channel.declare_exchange(exchange_names[0], "topic", durable=True)
    full = await channel.declare_queue(
        f"full{unique}",
        exclusive=True,
        arguments={"x-max-length": 1, "x-overflow": "reject-publish"},
    )
    await full.bind(exchange, "item.*")
    make_relay(make_broker())
    events = await save_items(outbox_db, ["a", "b", "c"])

    received: list[str | None] = []
    while len(received) < 3:
        message = await eventually(lambda: full.get(fail=False, no_ack=True), what="next event")
        assert message is not None
        received.append(message.message_id)
    assert received == [str(e.id) for e in events]
    await eventually_equals(outbox_db.unpublished, 0, what="unpublished rows")
    rows = await outbox_db.outbox_rows()
    assert all(row["next_attempt_at"] is None for row in rows)
