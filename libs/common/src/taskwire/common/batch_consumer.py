"""Applies consumed events in batches: one transaction per batch, one ack after its commit.

Acknowledgement policy, explicitly:
- a batch handled and committed       -> one ack with `multiple` for the whole batch
- unparseable, or not this consumer's -> dead-lettered with the reason, acked with its batch
- the handler raised for the batch     -> the batch is applied again message by message, each in
                                         its own transaction, to find the one at fault; that one
                                         is requeued, and dead-lettered after `delivery_limit`
                                         (with `requeue=False`, dead-lettered at once)
- the database is unreachable          -> retried in place with backoff (no message's fault; and
                                         whatever else the consumer's `transient` says)
- the process dies before the ack      -> the broker redelivers the batch; the handler must be
                                         idempotent (the aggregator applies by version)

Messages wait in arrival (delivery-tag) order and a batch is always the oldest of them, so the
ack of a batch's last message with `multiple` settles exactly that batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from aio_pika.abc import AbstractIncomingMessage
from opentelemetry import context as otel_context
from opentelemetry.trace import Span, Tracer, set_span_in_context

from taskwire.common.broker import Broker, QueueSpec
from taskwire.common.consumer import (
    Consumer,
    Transaction,
    Transient,
    failed,
    is_transient,
    retrying,
    settle,
)
from taskwire.common.events import Envelope, EventDecodeError
from taskwire.common.messaging_spans import processing_span
from taskwire.common.metrics import ServiceMetrics
from taskwire.common.telemetry import context_from

log = logging.getLogger(__name__)

UowT = TypeVar("UowT", bound=Transaction)
ItemT = TypeVar("ItemT")
Parse = Callable[[bytes], ItemT]
BatchHandler = Callable[[UowT, list[ItemT]], Awaitable[None]]


class BatchConsumer(Consumer[UowT], Generic[UowT, ItemT]):
    """`parse` turns a message's body into what the handler needs, or raises EventDecodeError
    (the message is then poison): decoding only what the handler reads is most of the cost of
    a message. `handler` applies a whole batch inside one unit of work."""

    def __init__(
        self,
        broker: Broker,
        spec: QueueSpec,
        parse: Parse[ItemT],
        handler: BatchHandler[UowT, ItemT],
        unit_of_work: Callable[[], UowT],
        *,
        prefetch: int = 256,
        tracer: Tracer | None = None,
        metrics: ServiceMetrics | None = None,
        span_per_message: bool = False,
        linger: float = 0.0,
        transient: Transient = is_transient,
        requeue: bool = True,
    ) -> None:
        super().__init__(
            broker,
            spec,
            self._one,
            unit_of_work,
            prefetch=prefetch,
            tracer=tracer,
            metrics=metrics,
            transient=transient,
            requeue=requeue,
        )
        self.span_per_message = span_per_message
        self.linger = linger
        self.parse = parse
        self.batch_handler = handler
        self.batches = 0
        self._waiting: list[AbstractIncomingMessage] = []
        self._arrived = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name=f"{self.spec.name}.batches")
        await super().start()

    async def stop(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        await super().stop()
        # Unsettled messages are the broker's again once the channel is closed.
        self._waiting.clear()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._waiting.append(message)
        self._arrived.set()

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        next_batch = 0.0
        while True:
            await self._arrived.wait()
            # At a steady rate each message would be a batch of one, paying a transaction (and
            # the events it writes) alone. So batches begin at least `linger` apart: a message
            # after a quiet spell is applied at once, and those that arrive within `linger` of
            # the last batch wait (never longer) to share the next one. A full batch never waits.
            if (due := next_batch - loop.time()) > 0 and len(self._waiting) < self.prefetch:
                await asyncio.sleep(due)
            next_batch = loop.time() + self.linger
            batch, self._waiting = self._waiting[: self.prefetch], self._waiting[self.prefetch :]
            if not self._waiting:
                self._arrived.clear()
            if batch:
                await self._handle(batch)

    async def _handle(self, batch: list[AbstractIncomingMessage]) -> None:
        parsed: list[tuple[AbstractIncomingMessage, ItemT]] = []
        for message in batch:
            try:
                parsed.append((message, self.parse(message.body)))
            except EventDecodeError as exc:
                if not await self._dead_letter_only(message, str(exc)):
                    await settle(batch[-1].nack(multiple=True, requeue=True))
                    return
        started = time.perf_counter()
        spans = self._spans([message for message, _ in parsed])
        # The batch runs in its last message's trace: the events it writes (one per project
        # per batch) continue the trace of the last change they sum up.
        last = set_span_in_context(spans[-1]) if spans else context_from(batch[-1].headers)
        token = otel_context.attach(last)
        try:
            await retrying(
                lambda: self._apply_batch([item for _, item in parsed]), self.spec, self.transient
            )
        except Exception as exc:
            for span in spans:
                failed(span, exc)
                span.end()
            log.warning(
                "a batch of %d from %s failed (%s); applying its messages one by one",
                len(parsed),
                self.spec.name,
                exc,
            )
            await self._one_by_one(batch, parsed)
            return
        finally:
            otel_context.detach(token)
        for span in spans:
            span.end()
        self.observe([message for message, _ in parsed], started)
        self.batches += 1
        self.handled += len(parsed)
        await self._settle_batch(batch[-1])

    def _spans(self, messages: list[AbstractIncomingMessage]) -> list[Span]:
        """One processing span per message, when spans are exported: each continues its own
        event's trace. Unexported, they would cost more than the rest of the message's work."""
        if not self.span_per_message:
            return []
        exchange, queue = self.broker.exchange_name, self.spec.name
        return [processing_span(self.tracer, exchange, queue, message) for message in messages]

    async def _apply_batch(self, items: list[ItemT]) -> None:
        if not items:
            return
        async with self.unit_of_work() as uow:
            await self.batch_handler(uow, items)
            await uow.commit()

    async def _settle_batch(self, last: AbstractIncomingMessage) -> None:
        """Ack every message of the batch at once (a test overrides this to crash here)."""
        await settle(last.ack(multiple=True))

    async def _one_by_one(
        self,
        batch: list[AbstractIncomingMessage],
        parsed: list[tuple[AbstractIncomingMessage, ItemT]],
    ) -> None:
        items = {id(message): item for message, item in parsed}
        for message in batch:
            if id(message) not in items:  # dead-lettered above, still to be acked
                await settle(message.ack())
                continue
            item = items[id(message)]
            try:
                await retrying(
                    functools.partial(self._apply_batch, [item]), self.spec, self.transient
                )
            except Exception as exc:
                await self._failed(message, exc)
                continue
            self.handled += 1
            await settle(message.ack())

    async def _one(self, uow: UowT, envelope: Envelope) -> None:
        raise RuntimeError("a BatchConsumer applies batches (_handle), never one envelope")
