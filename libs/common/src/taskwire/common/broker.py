"""RabbitMQ connection, topology and publishing (docs/architecture.md, "Event flow").

The connection is robust: after the first connect (retried with backoff) aio-pika reconnects by
itself after a broker restart and restores channels, queues and consumers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractRobustChannel,
    AbstractRobustConnection,
    AbstractRobustQueue,
    DeliveryMode,
    ExchangeType,
)
from aio_pika.exceptions import DeliveryError
from aiormq.abc import DeliveredMessage
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


class Refused(Exception):
    """The broker nacked a message: it did not take it (an internal error, or a queue at its
    length limit that rejects publishes). A failed publish, to be retried in its place."""


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
        self._connecting: asyncio.Task[AbstractRobustConnection] | None = None

    @property
    def is_connected(self) -> bool:
        conn = self._connection
        return conn is not None and not conn.is_closed and conn.connected.is_set()

    async def connect(self) -> AbstractRobustConnection:
        """Connect, retrying with exponential backoff until the broker answers.

        One attempt runs in the background for every caller. A caller that stops waiting (its
        timeout, its cancellation) leaves it running, so no lock is held across the retries and a
        later call picks up the same attempt, or the connection it made.
        """
        if self._connection is not None:
            return self._connection
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.create_task(
                self._connect_with_retries(), name=f"{self._connection_name}.broker-connect"
            )
            self._connecting.add_done_callback(_log_failure)
        return await asyncio.shield(self._connecting)

    async def _connect_with_retries(self) -> AbstractRobustConnection:
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
                try:
                    self._connection = await self._open()
                except StopAsyncIteration as exc:
                    # aiormq ends its frame reader so when the broker closes the socket between
                    # two handshake frames. Raised inside tenacity's `async for`, it would end the
                    # loop as though the attempt had connected.
                    raise ConnectionError("the broker closed the connection mid-handshake") from exc
        assert self._connection is not None
        return self._connection

    async def _open(self) -> AbstractRobustConnection:
        connection = await aio_pika.connect_robust(
            self.url,
            reconnect_interval=self._reconnect_interval,
            client_properties={"connection_name": self._connection_name},
            timeout=5,
        )
        try:
            await self._declare_exchanges(connection)
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.shield(connection.close())
            raise
        return connection

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Wait until connected; TimeoutError after `timeout` seconds, the attempt going on."""
        async with asyncio.timeout(timeout):
            connection = await self.connect()
            await connection.connected.wait()

    async def _declare_exchanges(self, connection: AbstractRobustConnection) -> None:
        channel = await connection.channel()
        try:
            await self._declare_exchanges_on(channel)
        finally:
            await channel.close()

    async def _declare_exchanges_on(
        self, channel: AbstractChannel
    ) -> tuple[AbstractExchange, AbstractExchange]:
        exchange = await channel.declare_exchange(
            self.exchange_name, ExchangeType.TOPIC, durable=True
        )
        dlx = await channel.declare_exchange(
            self.dead_letter_exchange_name, ExchangeType.DIRECT, durable=True
        )
        return exchange, dlx

    async def declare_queue(
        self, spec: QueueSpec, channel: AbstractRobustChannel
    ) -> AbstractRobustQueue:
        """Declare a consumer's quorum queue, its DLQ and bindings; safe to repeat.

        Everything is declared on the robust channel, exchanges first, so aio-pika declares it all
        again in that order after a reconnect, even to a broker that lost its definitions.
        """
        exchange, dlx = await self._declare_exchanges_on(channel)
        dlq = await channel.declare_queue(
            spec.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dlq.bind(dlx, routing_key=spec.name)
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
            await queue.bind(exchange, routing_key=key)
        return queue

    async def channel(self, *, prefetch: int | None = None) -> AbstractRobustChannel:
        connection = await self.connect()
        # Opening a channel while the robust connection is between transports fails at once.
        await connection.connected.wait()
        channel = await connection.channel()
        assert isinstance(channel, AbstractRobustChannel)
        if prefetch is not None:
            await channel.set_qos(prefetch_count=prefetch)
        return channel

    async def _publisher(self, timeout: float) -> AbstractExchange:
        channel = self._publish_channel
        if channel is not None and channel.is_closed:
            # The connection reopens a robust channel after a reconnect, a moment after it reports
            # itself connected. Wait for that rather than open another channel: the old one would
            # be restored too, on every reconnect, one more leaked channel per outage.
            try:
                await asyncio.wait_for(channel.ready(), timeout)
            except TimeoutError:
                with contextlib.suppress(Exception):
                    await channel.close()
                self._publish_channel = self._exchange = None
        if self._exchange is None or self._publish_channel is None:
            connection = await self.connect()
            channel = await connection.channel(publisher_confirms=True)
            assert isinstance(channel, AbstractRobustChannel)
            self._publish_channel = channel
            self._exchange, _ = await self._declare_exchanges_on(channel)
        return self._exchange

    async def publish(
        self, messages: list[OutgoingMessage], *, timeout: float = 10.0
    ) -> list[BaseException | None]:
        """Publish in order with confirms and `mandatory`; one outcome per message.

        The messages go out back to back on one channel, so the broker routes them in this order;
        each outcome is None once confirmed, `Unroutable` if returned, `Refused` if nacked, or the
        error that stopped it.
        """
        if not self.is_connected:
            raise ConnectionError("not connected to the broker")
        exchange = await self._publisher(timeout)
        # One deadline for the batch, not a wait_for (a task and a timer) per message.
        try:
            async with asyncio.timeout(timeout):
                results = await asyncio.gather(
                    *(self._publish_one(exchange, m) for m in messages), return_exceptions=True
                )
        except TimeoutError:
            # Which of them were confirmed is unknown: all count as failed and are published
            # again (at least once; consumers apply an event once by its version).
            return [TimeoutError(f"no confirm within {timeout}s") for _ in messages]
        return [None if r is True else r if isinstance(r, BaseException) else None for r in results]

    async def _publish_one(self, exchange: AbstractExchange, message: OutgoingMessage) -> bool:
        try:
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
            )
        except DeliveryError as exc:  # a Basic.Nack: returns are results on this channel
            raise Refused(f"{message.routing_key!r} nacked by the broker") from exc
        if isinstance(result, DeliveredMessage):  # returned: mandatory, and no queue bound
            raise Unroutable(f"no queue bound for routing key {message.routing_key!r}")
        if not isinstance(result, Basic.Ack):
            raise Refused(f"{message.routing_key!r} not confirmed: {result!r}")
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
        connecting, self._connecting = self._connecting, None
        if connecting is not None and not connecting.done():
            connecting.cancel()
            with contextlib.suppress(BaseException):
                await connecting
        connection, self._connection = self._connection, None
        self._exchange = None
        self._publish_channel = None
        if connection is not None:
            await connection.close()


def _log_failure(task: asyncio.Task[AbstractRobustConnection]) -> None:
    # Retrieve the outcome even when every waiter has given up, so a failure is logged once.
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("could not connect to the broker: %r", exc)


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return f"{scheme}{sep}{rest}"
