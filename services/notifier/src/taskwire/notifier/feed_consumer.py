"""The feed's consumer: the deliveries that are waiting, numbered together in their order.

A `BatchConsumer` (one batch at a time, in delivery order, acked with `multiple`), never
lingering: this is the path to the user's screen, so a lone event goes at once, and only what
piled up under load goes together.

Order is the feed's guarantee, so no event is ever put back behind later ones. Whatever Redis
answers (unreachable, out of memory, a replica after a failover, loading, busy, ...) is the
server's state, never the event's: numbering refuses a batch whole or takes it whole, and the
batch is tried again in place, with backoff, holding the later events (they come after it
anyway) until Redis takes it. Only poison is dead-lettered, with why: a message that is no
event (at parse), or one the handler fails on for another reason (a fault no retry mends; its
batch is then applied one by one to find it, and the rest numbered in their order).

Acks are off that path: a batch's ack waits up to `ACK_WITHIN` for the next batches', so one
ack (`multiple`) settles several; what is left unacked meanwhile stays under half the prefetch.
A message acked late is at worst delivered again after a crash, and numbered once all the same.

Each event's frames name the trace of its own message, not the batch's: its `traceparent`
header. `parse` is handed a body alone, so each batch's traces are read first, in the batch's
order, and `parse` (called once per message, in that order) takes them one by one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from typing import Final

import redis.exceptions
from aio_pika.abc import AbstractIncomingMessage
from opentelemetry.trace import Tracer, format_trace_id, get_current_span

from taskwire.common.batch_consumer import BatchConsumer
from taskwire.common.broker import Broker, QueueSpec
from taskwire.common.consumer import is_transient, settle
from taskwire.common.metrics import ServiceMetrics
from taskwire.common.telemetry import context_from
from taskwire.notifier.handlers import Delivery, Feed, RedisStep, parse

ACK_WITHIN: Final = 0.1  # seconds a handled batch may wait for its ack


class FeedConsumer(BatchConsumer[RedisStep, Delivery]):
    def __init__(
        self,
        broker: Broker,
        spec: QueueSpec,
        feed: Feed,
        *,
        prefetch: int,
        tracer: Tracer,
        metrics: ServiceMetrics,
        span_per_message: bool,
    ) -> None:
        super().__init__(
            broker,
            spec,
            self._parse,
            feed.publish,
            RedisStep,
            prefetch=prefetch,
            tracer=tracer,
            metrics=metrics,
            span_per_message=span_per_message,
            linger=0.0,
            transient=redis_refused,
            requeue=False,
        )
        self._traces: deque[str | None] = deque()
        self._to_ack: AbstractIncomingMessage | None = None  # the last handled, not acked yet
        self._unacked = 0
        self._acking: asyncio.TimerHandle | None = None
        self._late: set[asyncio.Task[None]] = set()

    async def stop(self) -> None:
        await self._ack()  # while the channel is open
        await super().stop()
        # What the last batch left is the broker's again with the channel: it redelivers it.
        self._to_ack = None
        if self._acking is not None:
            self._acking.cancel()
            self._acking = None
        for task in self._late:
            task.cancel()

    async def _handle(self, batch: list[AbstractIncomingMessage]) -> None:
        self._traces = deque(trace_of(message.headers) for message in batch)
        self._unacked += len(batch)
        await super()._handle(batch)

    async def _settle_batch(self, last: AbstractIncomingMessage) -> None:
        self._to_ack = last
        if self._unacked >= self.prefetch // 2:
            await self._ack()
        elif self._acking is None:
            self._acking = asyncio.get_running_loop().call_later(ACK_WITHIN, self._ack_late)

    def _ack_late(self) -> None:
        self._acking = None
        task = asyncio.create_task(self._ack())
        self._late.add(task)
        task.add_done_callback(self._late.discard)

    async def _ack(self) -> None:
        """Ack every message up to the last handled one (those settled one by one meanwhile,
        after a failed batch, are no longer the broker's to count)."""
        last, self._to_ack, self._unacked = self._to_ack, None, 0
        if self._acking is not None:
            self._acking.cancel()
            self._acking = None
        if last is not None:
            await settle(last.ack(multiple=True))

    def _parse(self, body: bytes) -> Delivery:
        return parse(body, self._traces.popleft())


def trace_of(headers: Mapping[str, object] | None) -> str | None:
    """The trace a message's headers carry (what its processing span continues), if any."""
    span = get_current_span(context_from(headers)).get_span_context()
    return format_trace_id(span.trace_id) if span.is_valid else None


def redis_refused(exc: BaseException) -> bool:
    """Tried again in place: any answer of Redis's (OOM, READONLY, LOADING, BUSY, MASTERDOWN,
    TRYAGAIN, NOREPLICAS, MISCONF, a lost connection: none is about the event), besides what
    every consumer retries."""
    return isinstance(exc, redis.exceptions.RedisError) or is_transient(exc)
