"""Tracing set-up and W3C trace-context propagation (full instrumentation comes with observability).

Events keep the trace context of the request that caused them: it is captured when the event is
written to the outbox and travels in the AMQP headers, so one trace can follow the change.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON

_configured = False


def setup_tracing(service_name: str, *, record: bool = False) -> None:
    """Install an SDK tracer provider once per process so spans carry real, propagated ids.

    Spans are recorded only when something will export them (`record`): otherwise every span
    is a non-recording one, which still has its trace and span ids (so the trace context still
    reaches the outbox and the AMQP headers) but costs next to nothing on the hot path.
    """
    global _configured
    if _configured:
        return
    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name}),
        sampler=ALWAYS_ON if record else ALWAYS_OFF,
    )
    trace.set_tracer_provider(provider)
    _configured = True


def trace_headers() -> dict[str, str]:
    """The current trace context as headers; a fresh root context when no span is active."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if "traceparent" not in carrier:
        carrier["traceparent"] = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
    return carrier


def context_from(headers: Mapping[str, object]) -> Context:
    carrier = {k: v for k, v in headers.items() if isinstance(v, str)}
    return propagate.extract(carrier)
