"""RabbitMQ connection, topology and publishing (DESIGN.md section 3).

The connection is robust: after the first connect (retried with backoff) aio-pika reconnects by
itself after a broker restart and restores channels, queues and consumers.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractExchange,
    AbstractRobustChannel,
    AbstractRobustConnection,
    AbstractRobustQueue,
    DeliveryMode,
    ExchangeType,
)
from pamqp.commands import Basic
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

log = logging.getLogger(__name__)

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
    aiormq.exceptions.AMQPConnectionError,
    aiormq.exceptions.ChannelInvalidStateError,
    aiormq.exceptions.ConnectionClosed,
    aiormq.exceptions.ChannelClosed,
    RuntimeError,
)


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A consumer's durable quorum queue, the keys it binds and where its dead letters go."""

    name: str
    bindings: tuple[str, ...]
    delivery_limit: int = 5

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.name}.dlq"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    routing_key: str
    body: bytes
    message_id: str
    headers: dict[str, Any] = field(default_factory=dict)


class Unroutable(Exception):
    """The broker returned a mandatory message: no queue is bound to its routing key."""


class Broker:
    def __init__(
        self,
        url: str,
        exchange: str,
        dead_letter_exchange: str,
        *,
        connection_name: str = "taskwire",
        reconnect_interval: float = 1.0,
    ) -> None:
        self.url = url
        self.exchange_name = exchange
        self.dead_letter_exchange_name = dead_letter_exchange
        self._connection_name = connection_name
        self._reconnect_interval = reconnect_interval
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractRobustChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._lock = asyncio.Lock()

    @property
    def is_connected(self) -> bool:
        conn = self._connection
        return conn is not None and not conn.is_closed and conn.connected.is_set()

    async def connect(self) -> AbstractRobustConnection:
        """Connect, retrying with exponential backoff until the broker answers."""
        async with self._lock:
            if self._connection is not None:
                return self._connection
            async for attempt in AsyncRetrying(
                wait=wait_exponential(multiplier=0.2, max=5.0),
                retry=retry_if_exception_type(CONNECTION_ERRORS),
                before_sleep=lambda state: log.warning(
                    "broker not reachable at %s (attempt %d): %s; retrying",
                    _redact(self.url),
                    state.attempt_number,
                    state.outcome.exception() if state.outcome else "?",
                ),
                reraise=True,
            ):
                with attempt:
                    self._connection = await aio_pika.connect_robust(
                        self.url,
                        reconnect_interval=self._reconnect_interval,
                        client_properties={"connection_name": self._connection_name},
                        timeout=5,
                    )
            assert self._connection is not None
            await self._declare_exchanges()
            return self._connection

    async def wait_connected(self, timeout: float | None = None) -> None:
        connection = await self.connect()
        await asyncio.wait_for(connection.connected.wait(), timeout)

    async def _declare_exchanges(self) -> None:
        assert self._connection is not None
        channel = await self._connection.channel()
        try:
            await channel.declare_exchange(self.exchange_name, ExchangeType.TOPIC, durable=True)
            await channel.declare_exchange(
                self.dead_letter_exchange_name, ExchangeType.DIRECT, durable=True
            )
        finally:
            await channel.close()

    async def declare_queue(
        self, spec: QueueSpec, channel: AbstractRobustChannel
    ) -> AbstractRobustQueue:
        """Declare a consumer's quorum queue, its DLQ and bindings; safe to repeat."""
        await channel.declare_queue(
            spec.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        dlq = await channel.get_queue(spec.dead_letter_queue, ensure=False)
        await dlq.bind(self.dead_letter_exchange_name, routing_key=spec.name)
        queue = await channel.declare_queue(
            spec.name,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-dead-letter-exchange": self.dead_letter_exchange_name,
                "x-dead-letter-routing-key": spec.name,
                # The consumer dead-letters with a reason before this; the broker's limit is
                # the backstop for a consumer that dies while handling a message.
                "x-delivery-limit": spec.delivery_limit + 1,
            },
        )
        for key in spec.bindings:
            await queue.bind(self.exchange_name, routing_key=key)
        return queue

    async def channel(self, *, prefetch: int | None = None) -> AbstractRobustChannel:
        connection = await self.connect()
        channel = await connection.channel()
        assert isinstance(channel, AbstractRobustChannel)
        if prefetch is not None:
            await channel.set_qos(prefetch_count=prefetch)
        return channel

    async def _publisher(self) -> AbstractExchange:
        if (
            self._exchange is None
            or self._publish_channel is None
            or self._publish_channel.is_closed
        ):
            connection = await self.connect()
            channel = await connection.channel(publisher_confirms=True)
            assert isinstance(channel, AbstractRobustChannel)
            self._publish_channel = channel
            self._exchange = await channel.get_exchange(self.exchange_name, ensure=False)
        return self._exchange

    async def publish(
        self, messages: list[OutgoingMessage], *, timeout: float = 10.0
    ) -> list[BaseException | None]:
        """Publish in order with confirms and `mandatory`; one outcome per message.

        The messages go out back to back on one channel, so the broker routes them in this order;
        each outcome is None once confirmed, `Unroutable` if returned, or the error that stopped it.
        """
        if not self.is_connected:
            raise ConnectionError("not connected to the broker")
        exchange = await self._publisher()
        results = await asyncio.gather(
            *(self._publish_one(exchange, m, timeout) for m in messages), return_exceptions=True
        )
        return [None if r is True else r if isinstance(r, BaseException) else None for r in results]

    async def _publish_one(
        self, exchange: AbstractExchange, message: OutgoingMessage, timeout: float
    ) -> bool:
        result = await exchange.publish(
            aio_pika.Message(
                message.body,
                content_type="application/json",
                delivery_mode=DeliveryMode.PERSISTENT,
                message_id=message.message_id,
                type=message.routing_key,
                headers=message.headers,
            ),
            routing_key=message.routing_key,
            mandatory=True,
            timeout=timeout,
        )
        if not isinstance(result, Basic.Ack):
            raise Unroutable(f"no queue bound for routing key {message.routing_key!r}")
        return True

    async def publish_to_dead_letters(
        self, queue: str, body: bytes, headers: dict[str, Any], properties: dict[str, Any]
    ) -> None:
        connection = await self.connect()
        channel = await connection.channel(publisher_confirms=True)
        try:
            dlx = await channel.get_exchange(self.dead_letter_exchange_name, ensure=False)
            await dlx.publish(
                aio_pika.Message(
                    body, delivery_mode=DeliveryMode.PERSISTENT, headers=headers, **properties
                ),
                routing_key=queue,
                timeout=10,
            )
        finally:
            await channel.close()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        self._exchange = None
        self._publish_channel = None
        if connection is not None:
            await connection.close()


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"
