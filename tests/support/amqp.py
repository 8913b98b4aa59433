"""A test's own view of the broker: a tap queue bound to its private exchange."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from taskwire.common.events import Envelope, decode, encode
from taskwire.common.runtime import ServiceRuntime
from taskwire.testkit.waiting import eventually


@asynccontextmanager
async def connection_of_its_own(
    url: str, exchanges: Sequence[str]
) -> AsyncIterator[AbstractRobustConnection]:
    """A broker connection; `exchanges` (a test's own) are deleted as it closes."""
    connection = await aio_pika.connect_robust(url)
    try:
        yield connection
    finally:
        await delete_exchanges(connection, exchanges)
        await connection.close()


async def delete_exchanges(connection: AbstractRobustConnection, names: Sequence[str]) -> None:
    channel = await connection.channel()
    for name in names:
        await channel.exchange_delete(name)
    await channel.close()


@dataclass
class EventTap:
    """Reads what a test's exchange routes to a private, exclusive queue."""

    messages: asyncio.Queue[AbstractIncomingMessage] = field(default_factory=asyncio.Queue)

    async def next_message(self, timeout: float = 10.0) -> AbstractIncomingMessage:
        return await asyncio.wait_for(self.messages.get(), timeout)

    async def next(self, timeout: float = 10.0) -> Envelope:
        return decode((await self.next_message(timeout)).body)

    async def take(self, count: int, timeout: float = 10.0) -> list[Envelope]:
        return [await self.next(timeout) for _ in range(count)]

    async def assert_quiet(self, within: float = 0.3) -> None:
        """Nothing more arrives within `within` seconds (the only bounded wait for an absence)."""
        try:
            extra = await asyncio.wait_for(self.messages.get(), within)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message {extra.routing_key}: {extra.body[:200]!r}")


async def open_tap(connection: AbstractRobustConnection, exchange: str, *bindings: str) -> EventTap:
    tap = EventTap()
    channel = await connection.channel()
    ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    for key in bindings or ("#",):
        await queue.bind(ex, routing_key=key)

    async def on_message(message: AbstractIncomingMessage) -> None:
        await message.ack()
        await tap.messages.put(message)

    await queue.consume(on_message)
    return tap


async def dead_letters(
    amqp: AbstractRobustConnection, queue: str, count: int
) -> list[AbstractIncomingMessage]:
    """Wait for `count` messages in `<queue>.dlq` and take them."""
    channel = await amqp.channel()
    dlq = await channel.declare_queue(f"{queue}.dlq", passive=True)
    found: list[AbstractIncomingMessage] = []

    async def enough() -> bool:
        while (message := await dlq.get(fail=False, no_ack=True)) is not None:
            found.append(message)
        return len(found) >= count

    await eventually(enough, what=f"{count} dead letters")
    await channel.close()
    return found


class EventSender:
    """Publishes hand-made events (or bytes) to a test's exchange, in order, on one channel."""

    def __init__(self, amqp: AbstractRobustConnection, exchange: str) -> None:
        self.amqp, self.exchange = amqp, exchange
        self.sent = 0

    async def publish(self, *envelopes: Envelope) -> None:
        """Publish in this order, on one channel, each confirmed."""
        channel = await self.amqp.channel()
        exchange = await channel.get_exchange(self.exchange, ensure=False)
        for envelope in envelopes:
            message = aio_pika.Message(encode(envelope), message_id=str(envelope.id))
            await exchange.publish(message, routing_key=envelope.type)
            self.sent += 1
        await channel.close()

    async def publish_raw(self, body: bytes, routing_key: str) -> None:
        """Publish bytes that need not be an event at all (a poison message)."""
        channel = await self.amqp.channel()
        exchange = await channel.get_exchange(self.exchange, ensure=False)
        await exchange.publish(aio_pika.Message(body), routing_key=routing_key)
        await channel.close()


class Publisher(EventSender):
    """Publishes hand-made events of other services to a running service's exchange."""

    def __init__(self, amqp: AbstractRobustConnection, exchange: str, runtime: ServiceRuntime):
        super().__init__(amqp, exchange)
        self.runtime = runtime

    async def ready(self, queue: str) -> None:
        async def consumed() -> bool:
            channel = await self.amqp.channel()
            try:
                declared = await channel.declare_queue(queue, passive=True)
            except aio_pika.exceptions.ChannelClosed:
                return False
            consumers = declared.declaration_result.consumer_count
            await channel.close()
            return bool(consumers)

        await eventually(consumed, what="the service's consumer")

    async def handled(self) -> None:
        """Wait until the service has applied every event sent so far."""
        consumer = self.runtime.consumers[0]
        await eventually(lambda: consumer.handled >= self.sent, what="events handled")
