"""The consumer under faults: a broker cut, a cut between commit and ack, a database outage."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

import aiormq
import pytest
from aio_pika import Message
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from taskwire.common.db import UnitOfWork
from taskwire.common.events import Envelope, encode
from taskwire.common.ids import new_id
from taskwire.common.outbox import EventUnitOfWork
from taskwire.testkit.waiting import eventually, eventually_equals
from tests.support.factories import BrokerFactory
from tests.support.outbox_db import OutboxDb, item_event
from tests.support.replica import Calls, apply_item, outgoing, replica_count, replica_row
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow

ConsumerFactory = Callable[..., Any]


async def test_the_consumer_resumes_after_a_broker_cut(
    make_broker: BrokerFactory,
    make_proxy: Callable[[], Any],
    start_consumer: ConsumerFactory,
    outbox_db: OutboxDb,
) -> None:
    proxy: TcpProxy = await make_proxy()
    consumer = await start_consumer(make_broker(proxy), apply_item)
    publisher = make_broker()
    await publisher.wait_connected(timeout=10)
    await publisher.publish([outgoing(item_event("item.created", new_id(), 1, "before"))])
    await eventually(lambda: consumer.handled == 1, what="first handled")

    await proxy.cut()
    meanwhile = [item_event("item.created", new_id(), 1, f"meanwhile-{n}") for n in range(10)]
    await publisher.publish([outgoing(e) for e in meanwhile])
    await proxy.start()
    await eventually(lambda: consumer.handled == 11, what="all handled after the cut")
    assert await replica_count(outbox_db.engine) == 11
    assert consumer.dead_lettered == 0


async def test_a_cut_between_commit_and_ack_redelivers_and_the_version_check_applies_once(
    make_broker: BrokerFactory,
    make_proxy: Callable[[], Any],
    start_consumer: ConsumerFactory,
    outbox_db: OutboxDb,
) -> None:
    proxy: TcpProxy = await make_proxy()
    calls = Calls()

    async def apply_then_lose_the_ack(uow: UnitOfWork, event: Envelope) -> None:
        calls.seen.append(event.id)
        await apply_item(uow, event)
        if len(calls.seen) == 1:
            # As if the process died right after COMMIT: the ack never reaches the broker.
            uow.after_commit(proxy.drop_connections)

    consumer = await start_consumer(make_broker(proxy), apply_then_lose_the_ack)
    event = item_event("item.created", new_id(), 1, "once")
    publisher = make_broker()
    await publisher.wait_connected(timeout=10)
    await publisher.publish([outgoing(event)])
    await eventually(lambda: calls.count(event.id) == 2, what="redelivery")
    await eventually(lambda: consumer.handled == 2, what="second delivery acked")
    row = await replica_row(outbox_db.engine, event.subject.id)
    assert row is not None
    assert row["applied"] == 1


async def test_a_database_outage_is_waited_out_not_dead_lettered(
    make_broker: BrokerFactory,
    start_consumer: ConsumerFactory,
    outbox_db: OutboxDb,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = make_url(outbox_db.url)
    postgres = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await postgres.start()
    # As the services configure it: no ping before checkout (DatabaseSettings.db_pool_pre_ping).
    engine = create_async_engine(url.set(port=postgres.port))
    try:

        def unit_of_work() -> EventUnitOfWork:
            return EventUnitOfWork(engine, outbox_db.outbox)

        consumer = await start_consumer(
            make_broker(), apply_item, delivery_limit=2, unit_of_work=unit_of_work
        )
        publisher = make_broker()
        await publisher.wait_connected(timeout=10)
        await publisher.publish([outgoing(item_event("item.created", new_id(), 1, "warm"))])
        await eventually(lambda: consumer.handled == 1, what="first handled")

        caplog.set_level(logging.WARNING, logger="taskwire.common.consumer")
        await postgres.cut()
        events = [item_event("item.created", new_id(), 1, f"during-{n}") for n in range(3)]
        await publisher.publish([outgoing(e) for e in events])
        await eventually(
            lambda: any("database unavailable" in r.message for r in caplog.records),
            what="a handling attempt without the database",
        )
        await postgres.start()
        await eventually(lambda: consumer.handled == 4, what="handled once the database is back")
        assert consumer.dead_lettered == 0
        await eventually_equals(lambda: replica_count(outbox_db.engine), 4)
    finally:
        await engine.dispose()
        await postgres.cut()


async def test_the_consumer_declares_its_topology_again_after_the_broker_lost_it(
    make_broker: BrokerFactory,
    make_proxy: Callable[[], Any],
    start_consumer: ConsumerFactory,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
    unique: str,
) -> None:
    """A broker node replaced without definitions: exchanges, queues and bindings come back."""
    proxy: TcpProxy = await make_proxy()
    consumer = await start_consumer(make_broker(proxy), apply_item)
    channel = await amqp.channel()
    for queue in (f"q{unique}", f"q{unique}.dlq"):
        await channel.queue_delete(queue)
    for exchange in exchange_names:
        await channel.exchange_delete(exchange)
    proxy.drop_connections()

    async def handled() -> bool:
        # Published by hand, so that only the consumer can have declared the exchange again.
        event = item_event("item.created", new_id(), 1, "after")
        with contextlib.suppress(aiormq.exceptions.AMQPError):
            publisher = await amqp.channel()
            exchange = await publisher.get_exchange(exchange_names[0], ensure=False)
            await exchange.publish(Message(encode(event)), "item.created", timeout=2)
            await publisher.close()
        return bool(consumer.handled >= 1)

    await eventually(handled, timeout=10, interval=0.2, what="handled on the restored topology")
    assert await channel.declare_queue(f"q{unique}.dlq", passive=True)
