"""The outbox relay: committed events leave in commit order, confirmed, woken at once; cleanup."""

from __future__ import annotations

import asyncio

from aio_pika.abc import AbstractRobustConnection, DeliveryMode
from sqlalchemy import text

from taskwire.common.outbox import drop_notify_trigger_ddl
from taskwire.testkit.waiting import eventually, eventually_equals
from tests.support.amqp import EventTap, open_tap
from tests.support.factories import BrokerFactory, RelayFactory
from tests.support.outbox_db import OutboxDb


async def test_events_leave_in_commit_order_with_their_properties(
    make_broker: BrokerFactory,
    make_relay: RelayFactory,
    outbox_db: OutboxDb,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
) -> None:
    tap = await open_tap(amqp, exchange_names[0], "item.*")
    relay = make_relay(make_broker(), batch_size=7)
    events = [await outbox_db.save_item(f"item-{n}") for n in range(30)]
    received = [await tap.next_message() for _ in events]
    assert [m.message_id for m in received] == [str(e.id) for e in events]
    rows = {row["id"]: row for row in await outbox_db.outbox_rows()}
    for message, event in zip(received, events, strict=True):
        assert message.routing_key == "item.created"
        assert message.content_type == "application/json"
        assert message.delivery_mode == DeliveryMode.PERSISTENT
        assert message.headers["traceparent"] == rows[event.id]["headers"]["traceparent"]
        assert message.body == rows[event.id]["payload"]
    await eventually_equals(outbox_db.unpublished, 0, what="unpublished rows")
    await eventually(lambda: relay.published == 30, what="relay count")
    assert all(row["attempts"] == 0 for row in await outbox_db.outbox_rows())
    await tap.assert_quiet()


async def _latency(outbox_db: OutboxDb, tap: EventTap) -> float:
    loop = asyncio.get_running_loop()
    started = loop.time()
    event = await outbox_db.save_item("wake")
    message = await tap.next_message()
    assert message.message_id == str(event.id)
    return loop.time() - started


async def test_the_relay_wakes_on_commit_in_process(
    make_broker: BrokerFactory,
    make_relay: RelayFactory,
    outbox_db: OutboxDb,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
) -> None:
    async with outbox_db.engine.begin() as conn:  # only the in-process signal can wake it
        for statement in drop_notify_trigger_ddl():
            await conn.execute(text(statement))
    tap = await open_tap(amqp, exchange_names[0], "item.*")
    relay = make_relay(make_broker(), poll_seconds=30)
    await outbox_db.save_item("first")
    await tap.next_message()
    await eventually(lambda: relay.published == 1)
    for _ in range(3):
        assert await _latency(outbox_db, tap) < 1.0


async def test_a_relay_in_another_process_wakes_on_notify(
    make_broker: BrokerFactory,
    make_relay: RelayFactory,
    outbox_db: OutboxDb,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
) -> None:
    tap = await open_tap(amqp, exchange_names[0], "item.*")
    relay = make_relay(make_broker(), own_wakeup=True, poll_seconds=30)
    assert relay.wakeup is not outbox_db.outbox.committed
    await eventually(lambda: relay.is_leader, what="leadership")
    await outbox_db.save_item("first")
    await tap.next_message()
    await eventually(lambda: relay.published == 1)
    for _ in range(3):
        assert await _latency(outbox_db, tap) < 1.0


async def test_published_rows_past_retention_are_deleted_and_unpublished_ones_kept(
    make_broker: BrokerFactory, make_relay: RelayFactory, outbox_db: OutboxDb
) -> None:
    async with outbox_db.engine.begin() as conn:
        await conn.execute(
            text(
                """INSERT INTO outbox (id, routing_key, payload, created_at, published_at,
                                       next_attempt_at)
                   VALUES (gen_random_uuid(), 'old.published', '\\x7b7d', now() - interval '3 h',
                           now() - interval '2 h', NULL),
                          (gen_random_uuid(), 'new.published', '\\x7b7d', now(), now(), NULL),
                          (gen_random_uuid(), 'old.unpublished', '\\x7b7d', now() - interval '3 h',
                           NULL, now() + interval '1 h')"""
            )
        )
    make_relay(make_broker(), retention_seconds=3600, cleanup_every_seconds=0.05)

    async def kept() -> set[str]:
        return {row["routing_key"] for row in await outbox_db.outbox_rows()}

    await eventually_equals(kept, {"new.published", "old.unpublished"}, what="rows kept")


async def test_one_cleanup_round_deletes_every_expired_row_in_chunks(
    make_broker: BrokerFactory, make_relay: RelayFactory, outbox_db: OutboxDb
) -> None:
    """More expired rows than one chunk: the round goes on chunk after chunk, not an interval
    later, so cleanup keeps up with any write rate; unpublished rows are never deleted."""
    async with outbox_db.engine.begin() as conn:
        await conn.execute(
            text(
                """INSERT INTO outbox (id, routing_key, payload, created_at, published_at)
                   SELECT gen_random_uuid(), 'old.published', '\\x7b7d',
                          now() - interval '3 h', now() - interval '2 h'
                   FROM generate_series(1, 25)"""
            )
        )
        await conn.execute(
            text(
                """INSERT INTO outbox (id, routing_key, payload, created_at, published_at,
                                       next_attempt_at)
                   SELECT gen_random_uuid(), 'old.unpublished', '\\x7b7d', now() - interval '3 h',
                          NULL, now() + interval '1 h'
                   FROM generate_series(1, 3)"""
            )
        )
    make_relay(
        make_broker(), retention_seconds=3600, cleanup_every_seconds=3600, cleanup_chunk_size=10
    )

    async def kept() -> list[str]:
        return [row["routing_key"] for row in await outbox_db.outbox_rows()]

    await eventually_equals(kept, ["old.unpublished"] * 3, what="rows kept")
