"""Broker: queue topology, ordered publishing with confirms, returns, and connecting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

import aio_pika
import aiormq
import pytest
from aio_pika.abc import AbstractRobustConnection, DeliveryMode

from taskwire.common.broker import OutgoingMessage, QueueSpec, Refused, Unroutable
from taskwire.testkit.waiting import eventually
from tests.support.amqp import open_tap
from tests.support.factories import BrokerFactory
from tests.support.full_queue import declare_full_queue
from tests.support.tcp_proxy import TcpProxy


def message(key: str, n: int) -> OutgoingMessage:
    return OutgoingMessage(key, f'{{"n": {n}}}'.encode(), f"m-{n}", {"traceparent": f"t-{n}"})


async def test_declare_queue_is_idempotent_and_builds_the_topology(
    make_broker: BrokerFactory, amqp: AbstractRobustConnection, unique: str, queues: list[str]
) -> None:
    broker = make_broker()
    spec = QueueSpec(f"q{unique}", ("item.*",), delivery_limit=2)
    queues.append(spec.name)
    channel = await broker.channel()
    await broker.declare_queue(spec, channel)
    queue = await broker.declare_queue(spec, channel)  # again: same arguments, no error

    probe = await amqp.channel()
    with pytest.raises(aiormq.exceptions.ChannelPreconditionFailed):
        await probe.declare_queue(spec.name, durable=True, arguments={"x-queue-type": "classic"})
    probe = await amqp.channel()
    dlq = await probe.declare_queue(spec.dead_letter_queue, passive=True)

    # A message requeued past the broker's delivery limit is dead-lettered to <queue>.dlq.
    await broker.publish([message("item.created", 1)])
    deliveries = 0
    async with asyncio.timeout(10):
        while (dead := await dlq.get(fail=False)) is None:
            incoming = await queue.get(fail=False)
            if incoming is None:
                await asyncio.sleep(0.02)
                continue
            deliveries += 1
            await incoming.nack(requeue=True)
    assert dead.body == b'{"n": 1}'
    deaths: Any = dead.headers["x-death"]
    assert deaths[0]["reason"] == "delivery_limit"
    # The consumer gives up after `delivery_limit` attempts; the broker's limit is one more.
    assert deliveries == spec.delivery_limit + 2
    await channel.close()


async def test_publish_keeps_order_and_sets_the_properties(
    make_broker: BrokerFactory, amqp: AbstractRobustConnection, exchange_names: tuple[str, str]
) -> None:
    broker = make_broker()
    await broker.wait_connected(timeout=10)
    tap = await open_tap(amqp, exchange_names[0], "item.*")
    batch = [message("item.created" if n % 3 else "item.updated", n) for n in range(300)]
    assert await broker.publish(batch) == [None] * 300
    received = [await tap.next_message() for _ in range(300)]
    assert [m.message_id for m in received] == [m.message_id for m in batch]
    first = received[0]
    assert first.content_type == "application/json"
    assert first.delivery_mode == DeliveryMode.PERSISTENT
    assert first.headers == {"traceparent": "t-0"}
    assert first.routing_key == first.type == "item.updated"


async def test_a_returned_message_is_reported_unroutable(
    make_broker: BrokerFactory, amqp: AbstractRobustConnection, exchange_names: tuple[str, str]
) -> None:
    broker = make_broker()
    await broker.wait_connected(timeout=10)
    tap = await open_tap(amqp, exchange_names[0], "item.*")
    outcomes = await broker.publish(
        [message("item.created", 1), message("nobody.listens", 2), message("item.created", 3)]
    )
    assert outcomes[0] is None
    assert isinstance(outcomes[1], Unroutable)
    assert outcomes[2] is None
    assert [m.message_id for m in [await tap.next_message(), await tap.next_message()]] == [
        "m-1",
        "m-3",
    ]


async def test_a_nacked_message_is_reported_refused_not_unroutable(
    make_broker: BrokerFactory,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
    unique: str,
) -> None:
    """A queue at its length limit that rejects publishes makes the broker nack."""
    broker = make_broker()
    await broker.wait_connected(timeout=10)
    await declare_full_queue(amqp, exchange_names[0], f"full{unique}", "item.*")
    outcomes = await broker.publish(
        [message("item.created", 1), message("item.created", 2), message("nobody.listens", 3)]
    )
    assert outcomes[0] is None
    assert isinstance(outcomes[1], Refused)
    assert isinstance(outcomes[2], Unroutable)


async def test_wait_connected_times_out_and_a_later_call_connects(
    make_broker: BrokerFactory, make_proxy: Callable[[], Any]
) -> None:
    proxy: TcpProxy = await make_proxy()
    await proxy.cut()
    broker = make_broker(proxy)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError):
        await broker.wait_connected(timeout=0.5)
    assert loop.time() - started < 1.5
    assert not broker.is_connected
    with pytest.raises(ConnectionError):
        await broker.publish([message("item.created", 1)])
    await proxy.start()
    await broker.wait_connected(timeout=10)
    assert broker.is_connected


async def test_publishing_resumes_after_the_connection_is_restored(
    make_broker: BrokerFactory,
    make_proxy: Callable[[], Any],
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
) -> None:
    proxy: TcpProxy = await make_proxy()
    broker = make_broker(proxy)
    await broker.wait_connected(timeout=10)
    tap = await open_tap(amqp, exchange_names[0], "item.*")
    assert await broker.publish([message("item.created", 0)]) == [None]
    publish_channel = broker._publish_channel

    async def published(n: int) -> bool:
        try:
            outcomes = await broker.publish([message("item.created", n)], timeout=2)
        except ConnectionError:
            return False
        return outcomes == [None]

    for outage in range(1, 4):
        await proxy.cut()
        await eventually(lambda: not broker.is_connected, timeout=5, what="disconnect noticed")
        with pytest.raises(ConnectionError):
            await broker.publish([message("item.created", -1)])
        await proxy.start()
        await broker.wait_connected(timeout=10)
        await eventually(partial(published, outage), timeout=10, what="publish after reconnect")
    assert [(await tap.next_message()).message_id for _ in range(4)] == [f"m-{n}" for n in range(4)]
    # The robust publish channel is reopened, not replaced: a replacement would leak a channel
    # the connection keeps restoring after every outage.
    assert broker._publish_channel is publish_channel


async def test_dead_letters_reach_the_queue_dlq(
    make_broker: BrokerFactory, amqp: AbstractRobustConnection, unique: str, queues: list[str]
) -> None:
    broker = make_broker()
    spec = QueueSpec(f"q{unique}", ("item.*",))
    queues.append(spec.name)
    channel = await broker.channel()
    await broker.declare_queue(spec, channel)
    await broker.publish_to_dead_letters(
        spec.name, b"{}", {"x-taskwire-reason": "why"}, {"message_id": "d-1"}
    )
    probe = await amqp.channel()
    dlq = await probe.declare_queue(spec.dead_letter_queue, passive=True)
    got = await eventually(lambda: dlq.get(fail=False), timeout=5, what="dead letter")
    assert isinstance(got, aio_pika.IncomingMessage)
    assert (got.message_id, got.headers["x-taskwire-reason"]) == ("d-1", "why")
    await channel.close()


async def test_publishing_recovers_when_the_broker_lost_the_exchange(
    make_broker: BrokerFactory,
    make_proxy: Callable[[], Any],
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
) -> None:
    """A broker node replaced without definitions: the exchange is declared again from code."""
    proxy: TcpProxy = await make_proxy()
    broker = make_broker(proxy)
    await broker.wait_connected(timeout=10)
    assert await broker.publish([message("item.created", 0)]) != [None]  # no queue bound yet
    channel = await amqp.channel()
    await channel.exchange_delete(exchange_names[0])
    proxy.drop_connections()

    async def routed_somewhere() -> bool:
        try:
            outcomes = await broker.publish([message("item.created", 1)], timeout=2)
        except ConnectionError:
            return False
        return all(o is None or isinstance(o, Unroutable) for o in outcomes)

    await eventually(routed_somewhere, timeout=10, what="exchange declared again")
    tap = await open_tap(amqp, exchange_names[0], "item.*")
    assert await broker.publish([message("item.created", 2)]) == [None]
    assert (await tap.next_message()).message_id == "m-2"
