"""The relay under faults: broker outages and cuts mid-batch, refused and unroutable events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aio_pika import Message
from aio_pika.abc import AbstractRobustConnection

from taskwire.testkit.waiting import eventually, eventually_equals
from tests.support.amqp import EventTap, open_tap
from tests.support.factories import BrokerFactory, RelayFactory
from tests.support.full_queue import declare_full_queue
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


async def test_an_event_the_broker_refuses_is_retried_in_its_place_not_deferred(
    make_broker: BrokerFactory,
    make_relay: RelayFactory,
    outbox_db: OutboxDb,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
    unique: str,
) -> None:
    """A full queue that rejects publishes makes the broker nack: the event is neither lost nor
    deferred as unroutable, and no later event is recorded published ahead of it."""
    full = await declare_full_queue(amqp, exchange_names[0], f"full{unique}", "item.created")
    await full.channel.default_exchange.publish(Message(b"{}", message_id="filler"), full.name)
    elsewhere = await open_tap(amqp, exchange_names[0], "item.updated")
    make_relay(make_broker())
    refused = await outbox_db.save_item("refused")
    behind = await outbox_db.save_item("behind", event_type="item.updated")
    last = await outbox_db.save_item("last")

    # `behind` is routed to another queue and confirmed, yet it goes out again after each retry
    # of the refused event instead of being recorded published before it.
    for _ in range(2):
        assert (await elsewhere.next_message()).message_id == str(behind.id)
    rows = await outbox_db.outbox_rows()
    assert [row["published_at"] for row in rows] == [None, None, None]
    assert all(row["next_attempt_at"] is None for row in rows)
    assert all(row["last_error"] is None for row in rows)

    assert (await full.get(no_ack=True)).message_id == "filler"  # room again, for one
    received: list[str | None] = []
    while len(received) < 2:
        message = await eventually(lambda: full.get(fail=False, no_ack=True), what="next event")
        assert message is not None
        received.append(message.message_id)
    assert received == [str(refused.id), str(last.id)]
    await eventually_equals(outbox_db.unpublished, 0, what="unpublished rows")
    rows = await outbox_db.outbox_rows()
    published = [row["published_at"] for row in rows]
    assert published == sorted(published)
    assert all(row["next_attempt_at"] is None for row in rows)
