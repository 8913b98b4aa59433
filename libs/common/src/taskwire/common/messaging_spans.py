"""Spans of publishing and processing events, after the OpenTelemetry messaging conventions for
RabbitMQ: the destination is the exchange, with the routing key beside it; a consumer names the
queue it consumes as its subscription."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aio_pika.abc import AbstractIncomingMessage as Message
from opentelemetry import propagate
from opentelemetry.trace import Span, SpanKind, Tracer, set_span_in_context, use_span

from taskwire.common.telemetry import context_from


def publish_span(
    tracer: Tracer, exchange: str, routing_key: str, message_id: str, headers: Mapping[str, Any]
) -> tuple[Span, dict[str, Any]]:
    """A producer span continuing the trace the outbox row kept, and the headers that carry the
    span onwards (the row's own, with its `traceparent` replaced). The caller ends the span
    once the broker has confirmed, or refused, the message."""
    span = tracer.start_span(
        f"publish {exchange}",
        context=context_from(headers),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "rabbitmq",
            "messaging.operation.type": "send",
            "messaging.operation.name": "publish",
            "messaging.destination.name": exchange,
            "messaging.rabbitmq.destination.routing_key": routing_key,
            "messaging.message.id": message_id,
        },
    )
    carrier = dict(headers)
    propagate.inject(carrier, context=set_span_in_context(span))
    return span, carrier


def processing_span(tracer: Tracer, exchange: str, queue: str, message: Message) -> Span:
    """The consumer's span for one message, continuing the trace its headers carry. Not made
    current: a batch keeps one open per message and ends them all when the batch commits."""
    attributes = {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": exchange,
        "messaging.destination.subscription.name": queue,
        "messaging.rabbitmq.destination.routing_key": message.routing_key or "",
    }
    if message.message_id:
        attributes["messaging.message.id"] = message.message_id
    return tracer.start_span(
        f"process {queue}",
        context=context_from(message.headers),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
    )


@contextmanager
def processing(tracer: Tracer, exchange: str, queue: str, message: Message) -> Iterator[Span]:
    """The same span, current while the handler runs (so the events the handler writes to its
    outbox continue the trace), ended when the block ends; a failure escaping it is recorded."""
    with use_span(processing_span(tracer, exchange, queue, message), end_on_exit=True) as span:
        yield span
