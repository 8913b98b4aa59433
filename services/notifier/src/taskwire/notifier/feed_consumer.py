"""The feed's consumer: the deliveries that are waiting, numbered together in their order.

A `BatchConsumer` (one batch at a time, in delivery order, acked with `multiple`; a failed
batch applied again message by message to find the one at fault), never lingering: this is
the path to the user's screen, so a lone event goes at once, and only what piled up under
load goes together.

Each event's frames name the trace of its own message, not the batch's: its `traceparent`
header. `parse` is handed a body alone, so each batch's traces are read first, in the batch's
order, and `parse` (called once per message, in that order) takes them one by one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from aio_pika.abc import AbstractIncomingMessage
from opentelemetry.trace import Tracer, format_trace_id, get_current_span

from taskwire.common.batch_consumer import BatchConsumer
from taskwire.common.broker import Broker, QueueSpec
from taskwire.common.metrics import ServiceMetrics
from taskwire.common.telemetry import context_from
from taskwire.notifier.handlers import Delivery, Feed, RedisStep, parse


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
        )
        self._traces: deque[str | None] = deque()

    async def _handle(self, batch: list[AbstractIncomingMessage]) -> None:
        self._traces = deque(trace_of(message.headers) for message in batch)
        await super()._handle(batch)

    def _parse(self, body: bytes) -> Delivery:
        return parse(body, self._traces.popleft())


def trace_of(headers: Mapping[str, object] | None) -> str | None:
    """The trace a message's headers carry (what its processing span continues), if any."""
    span = get_current_span(context_from(headers)).get_span_context()
    return format_trace_id(span.trace_id) if span.is_valid else None
