"""Fixtures for the shared mechanisms: brokers, proxies, outbox databases and background tasks."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.common.broker import Broker, QueueSpec
from taskwire.common.consumer import Consumer, Handler
from taskwire.common.db import asyncpg_dsn
from taskwire.common.outbox import EventUnitOfWork
from taskwire.common.relay import OutboxRelay, RelayConfig
from taskwire.testkit.infra import Infra
from tests.support.background import Background
from tests.support.factories import BrokerFactory
from tests.support.outbox_db import OutboxDb, create_outbox_db
from tests.support.replica import create_replica
from tests.support.tcp_proxy import TcpProxy, proxied_url

ConsumerFactory = Callable[..., Any]


@pytest.fixture
async def outbox_db(empty_database: str) -> AsyncIterator[OutboxDb]:
    db = await create_outbox_db(empty_database)
    try:
        yield db
    finally:
        await db.engine.dispose()


@pytest.fixture
async def make_proxy(infra: Infra) -> AsyncIterator[Callable[[], Any]]:
    """Start a TcpProxy in front of RabbitMQ; `proxied_url(proxy)` is the URL through it."""
    proxies: list[TcpProxy] = []

    async def make() -> TcpProxy:
        proxy = TcpProxy.to(infra.amqp_url, 5672)
        await proxy.start()
        proxies.append(proxy)
        return proxy

    try:
        yield make
    finally:
        for proxy in proxies:
            await proxy.cut()


@pytest.fixture
async def make_broker(
    infra: Infra, exchange_names: tuple[str, str], amqp: AbstractRobustConnection
) -> AsyncIterator[BrokerFactory]:
    """Brokers on the test's own exchanges, directly or through a proxy; closed afterwards, and
    then the exchanges they declared are deleted (by the `amqp` fixture)."""
    brokers: list[Broker] = []

    def make(proxy: TcpProxy | None = None, **options: Any) -> Broker:
        url = proxied_url(infra.amqp_url, proxy) if proxy else infra.amqp_url
        options.setdefault("reconnect_interval", 0.2)
        broker = Broker(url, *exchange_names, **options)
        brokers.append(broker)
        return broker

    try:
        yield make
    finally:
        for broker in brokers:
            with contextlib.suppress(Exception):
                await broker.close()


@pytest.fixture
async def background(
    make_broker: BrokerFactory, make_proxy: Callable[[], Any]
) -> AsyncIterator[Background]:
    """Tasks stopped before the brokers and proxies they use are closed (hence the parameters)."""
    tasks = Background()
    try:
        yield tasks
    finally:
        await tasks.close()


@pytest.fixture
def make_relay(
    outbox_db: OutboxDb, unique: str, background: Background
) -> Callable[..., OutboxRelay]:
    """Start a relay on the test's outbox in the background; stopped at teardown."""

    def make(broker: Broker, *, own_wakeup: bool = False, **config: Any) -> OutboxRelay:
        config.setdefault("poll_seconds", 30.0)
        config.setdefault("dsn", asyncpg_dsn(outbox_db.url))
        relay = OutboxRelay(
            RelayConfig(service=f"test{unique}", **config),
            broker,
            wakeup=None if own_wakeup else outbox_db.outbox.committed,
        )
        background.start(relay.run(), name="relay")
        return relay

    return make


@pytest.fixture
async def queues(amqp: AbstractRobustConnection) -> AsyncIterator[list[str]]:
    """Names of queues a test declares; each is deleted with its `.dlq` afterwards."""
    names: list[str] = []
    try:
        yield names
    finally:
        channel = await amqp.channel()
        for name in names:
            for queue in (name, f"{name}.dlq"):
                await channel.queue_delete(queue)
        await channel.close()


@pytest.fixture
async def start_consumer(
    outbox_db: OutboxDb, unique: str, queues: list[str], background: Background
) -> AsyncIterator[ConsumerFactory]:
    """Start a consumer of `q<unique>` bound to item.* on a given broker; stopped afterwards
    (before the brokers close: `background` depends on them)."""
    await create_replica(outbox_db.engine)
    consumers: list[Consumer[EventUnitOfWork]] = []
    queues.append(f"q{unique}")

    async def start(
        broker: Broker,
        handler: Handler[EventUnitOfWork],
        delivery_limit: int = 3,
        unit_of_work: Callable[[], EventUnitOfWork] | None = None,
        in_order: bool = False,
    ) -> Consumer[EventUnitOfWork]:
        spec = QueueSpec(f"q{unique}", ("item.*",), delivery_limit=delivery_limit)
        uow = unit_of_work or outbox_db.unit_of_work
        consumer = Consumer(broker, spec, handler, uow, prefetch=10, in_order=in_order)
        await consumer.start()
        consumers.append(consumer)
        return consumer

    yield start
    for consumer in consumers:
        await consumer.stop()
