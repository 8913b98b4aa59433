"""A trace crosses a process boundary in headers (an outbox row's, a message's) and comes back
whole on the other side."""

from __future__ import annotations

from opentelemetry import trace

from taskwire.common.telemetry import Telemetry, context_from, trace_headers


def test_trace_context_survives_the_trip_through_headers() -> None:
    tracer = Telemetry.create("tests", None).tracer
    with tracer.start_as_current_span("request") as span:
        headers = trace_headers()
    restored = trace.get_current_span(context_from(headers)).get_span_context()
    assert restored.trace_id == span.get_span_context().trace_id
    assert restored.span_id == span.get_span_context().span_id
    orphan = trace_headers()  # no span: a fresh, valid root context
    assert trace.get_current_span(context_from(orphan)).get_span_context().is_valid
