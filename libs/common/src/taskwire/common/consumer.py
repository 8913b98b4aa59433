"""Runs a handler per consumed event inside a transaction, and acks only after it commits.

Acknowledgement policy, explicitly:
- handled and committed            -> ack
- unparseable envelope             -> dead-lettered at once with the reason, then ack
- handler raised                   -> nack and requeue; after `delivery_limit` attempts it is
                                      dead-lettered with the reason, then ack (or, for a
                                      consumer built with `requeue=False`, whose order is its
                                      guarantee, dead-lettered at once: nothing overtakes it)
- the database is unreachable      -> retried in place with backoff (not the message's fault;
                                      Redis, for a service that writes there, likewise; a
                                      consumer's `transient` says what else is retried so)
- the process dies before the ack  -> the broker redelivers; handlers are idempotent by version
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

import asyncpg
import redis.exceptions
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, ConsumerTag
from opentelemetry.trace import NoOpTracer, Span, Status, StatusCode, Tracer
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from tenacity import AsyncRetrying, retry_if_exception, wait_exponential

from taskwire.common.broker import Broker, QueueSpec
from taskwire.common.events import Envelope, EventDecodeError, decode
from taskwire.common.messaging_spans import processing
from taskwire.common.metrics import ServiceMetrics

log = logging.getLogger(__name__)


class Transaction(Protocol):
    """What a consumer applies each event in: a unit of work (Postgres), or whatever else a
    service's handlers write to, committed before the ack."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


UowT = TypeVar("UowT", bound=Transaction)
Handler = Callable[[UowT, Envelope], Awaitable[None]]
Transient = Callable[[BaseException], bool]

REASON_HEADER = "x-taskwire-reason"
# When the event was committed to its producer's outbox (ms since the epoch), set by the relay:
# a consumer's lag is how long ago that was.
COMMITTED_AT_HEADER = "x-taskwire-committed-at"


def is_transient(exc: BaseException) -> bool:
    """The database (or Redis) could not be reached: no message's fault, tried again in place."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(
        exc,
        OperationalError
        | InterfaceError
        | OSError
        | asyncpg.CannotConnectNowError
        | redis.exceptions.ConnectionError
        | redis.exceptions.TimeoutError,
    )


class Consumer(Generic[UowT]):
    def __init__(
        self,
        broker: Broker,
        spec: QueueSpec,
        handler: Handler[UowT],
        unit_of_work: Callable[[], UowT],
        *,
        prefetch: int = 64,
        in_order: bool = False,
        tracer: Tracer | None = None,
        metrics: ServiceMetrics | None = None,
        transient: Transient = is_transient,
        requeue: bool = True,
    ) -> None:
        self.broker = broker
        self.transient = transient
        self.requeue = requeue
        self.spec = spec
        self.handler = handler
        self.unit_of_work = unit_of_work
        self.prefetch = prefetch
        self.handled = 0
        self.dead_lettered = 0
        self.tracer = tracer or NoOpTracer()
        self.metrics = metrics or ServiceMetrics()
        queue, m = spec.name, self.metrics
        self._processed = m.consumer_messages.labels(queue, "processed")
        self._failed_count = m.consumer_messages.labels(queue, "failed")
        self._dead_lettered_count = m.consumer_messages.labels(queue, "dead_lettered")
        self._duration = m.consumer_duration.labels(queue)
        self._age = m.consumer_event_age.labels(queue)
        self._channel: AbstractRobustChannel | None = None
        self._tag: ConsumerTag | None = None
        # aio-pika runs each delivery as its own task, so handlers overlap and may finish out
        # of order. Handlers idempotent by version don't mind; a feed whose readers see the
        # order it applies in does. The lock queues deliveries first come, first served.
        self._in_order = asyncio.Lock() if in_order else None

    async def start(self) -> None:
        self._channel = await self.broker.channel(prefetch=self.prefetch)
        queue = await self.broker.declare_queue(self.spec, self._channel)
        self._tag = await queue.consume(self._on_message)
        log.info("consuming %s (%s)", self.spec.name, ", ".join(self.spec.bindings))

    async def stop(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None and not channel.is_closed:
            with contextlib.suppress(Exception):
                await channel.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        if self._in_order is None:
            await self._consume(message)
            return
        async with self._in_order:
            await self._consume(message)

    async def _consume(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = decode(message.body)
        except EventDecodeError as exc:
            await self._dead_letter(message, str(exc))
            return
        started = time.perf_counter()
        with processing(self.tracer, self.broker.exchange_name, self.spec.name, message) as span:
            try:
                await retrying(lambda: self._apply(envelope), self.spec, self.transient)
            except Exception as exc:
                failed(span, exc)
                await self._failed(message, exc)
                return
        self.observe([message], started)
        self.handled += 1
        await settle(message.ack())

    def observe(self, messages: list[AbstractIncomingMessage], started: float) -> None:
        """Count `messages` as processed: their time (a batch's, for a batch) and their lag."""
        self._duration.observe(time.perf_counter() - started)
        self._processed.inc(len(messages))
        now_ms = time.time() * 1000
        for message in messages:
            committed = (message.headers or {}).get(COMMITTED_AT_HEADER)
            if isinstance(committed, int | float):
                self._age.observe(max(now_ms - committed, 0.0) / 1000)

    async def _apply(self, envelope: Envelope) -> None:
        async with self.unit_of_work() as uow:
            await self.handler(uow, envelope)
            await uow.commit()

    async def _failed(self, message: AbstractIncomingMessage, exc: Exception) -> None:
        attempts = _delivery_count(message) + 1
        reason = f"{type(exc).__name__}: {exc}"
        if not self.requeue:
            log.error("giving up on %s %s: %s", message.routing_key, message.message_id, reason)
            await self._dead_letter(message, reason)
            return
        if attempts >= self.spec.delivery_limit:
            log.error(
                "giving up on %s %s after %d attempts: %s",
                message.routing_key,
                message.message_id,
                attempts,
                reason,
            )
            await self._dead_letter(message, reason)
            return
        log.warning(
            "%s %s failed (attempt %d of %d): %s",
            message.routing_key,
            message.message_id,
            attempts,
            self.spec.delivery_limit,
            reason,
        )
        self._failed_count.inc()
        # A short pause keeps a failing message from spinning hot through the queue.
        await asyncio.sleep(min(0.05 * 2**attempts, 2.0))
        await settle(message.nack(requeue=True))

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str) -> None:
        if await self._dead_letter_only(message, reason):
            await settle(message.ack())
        else:
            await settle(message.nack(requeue=True))

    async def _dead_letter_only(self, message: AbstractIncomingMessage, reason: str) -> bool:
        """Publish a copy to the dead-letter queue with the reason; the caller settles it."""
        headers = dict(message.headers or {})
        headers.update(
            {
                REASON_HEADER: reason[:1000],
                "x-taskwire-queue": self.spec.name,
                "x-taskwire-failed-at": datetime.now(UTC).isoformat(),
            }
        )
        properties = {
            "message_id": message.message_id,
            "content_type": message.content_type,
            "type": message.routing_key,
        }
        try:
            await self.broker.publish_to_dead_letters(
                self.spec.name, message.body, headers, properties
            )
        except Exception:
            log.exception("could not dead-letter a message from %s; requeueing it", self.spec.name)
            return False
        self.dead_lettered += 1
        self._dead_lettered_count.inc()
        log.error("dead-lettered a message from %s: %s", self.spec.name, reason)
        return True


def failed(span: Span, exc: BaseException) -> None:
    span.record_exception(exc)
    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


def _delivery_count(message: AbstractIncomingMessage) -> int:
    value = (message.headers or {}).get("x-delivery-count", 0)
    return value if isinstance(value, int) else 0


async def retrying(
    apply: Callable[[], Awaitable[None]], spec: QueueSpec, transient: Transient = is_transient
) -> None:
    """Run `apply` until it succeeds or fails for a reason `transient` does not excuse (by
    default, anything but an unreachable database)."""
    # The first attempt outside the retry machinery: nearly every message succeeds at once, and
    # building it would cost a message more than its own decoding does.
    try:
        await apply()
        return
    except Exception as exc:
        if not transient(exc):
            raise
        _unavailable(spec, exc)
    await asyncio.sleep(FIRST_RETRY_SECONDS)
    async for attempt in AsyncRetrying(
        retry=retry_if_exception(transient),
        wait=wait_exponential(multiplier=FIRST_RETRY_SECONDS * 2, max=5.0),
        before_sleep=lambda s: _unavailable(spec, s.outcome.exception() if s.outcome else None),
    ):
        with attempt:
            try:
                await apply()
            except StopAsyncIteration as exc:
                # Inside tenacity's async-for it would end the loop as though applied, and the
                # message would be acked unapplied.
                raise RuntimeError("the handler ended with StopAsyncIteration") from exc


FIRST_RETRY_SECONDS = 0.1


def _unavailable(spec: QueueSpec, exc: BaseException | None) -> None:
    log.warning("database unavailable while consuming %s: %s", spec.name, exc or "?")


async def settle(settlement: Awaitable[None]) -> None:
    # After a connection loss the delivery tag is void; the broker redelivers the message.
    try:
        await settlement
    except Exception as exc:
        log.warning("could not settle a delivery (it will be redelivered): %r", exc)
