"""Tracing and metrics of one service, and W3C trace-context propagation.

Events keep the trace context of the request that caused them: it is captured when the event is
written to the outbox, the relay's publish span continues it into the AMQP headers, and each
consumer's processing span continues it again, so one trace follows a change from the REST
request to the WebSocket frame.

Each service has its own `Telemetry` (tracer provider and metrics registry) rather than the
process-wide globals, so services sharing a process (as in the tests) keep their own names.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from opentelemetry import propagate
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, TraceIdRatioBased
from opentelemetry.trace import Tracer
from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.common.metrics import ServiceMetrics
from taskwire.common.settings import ServiceSettings


@dataclass
class Telemetry:
    service: str
    tracer_provider: TracerProvider
    metrics: ServiceMetrics
    exporting: bool

    @property
    def tracer(self) -> Tracer:
        return self.tracer_provider.get_tracer(f"taskwire.{self.service}")

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Telemetry:
        """Export to `TASKWIRE_OTLP_ENDPOINT` when set; otherwise record no spans at all."""
        exporter = None
        if settings.otlp_endpoint:
            endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
            exporter = OTLPSpanExporter(endpoint=endpoint, timeout=5)
        return cls.create(
            settings.service_name,
            exporter,
            environment=settings.environment,
            sample_ratio=settings.trace_sample_ratio,
        )

    @classmethod
    def create(
        cls,
        service: str,
        exporter: SpanExporter | None,
        *,
        environment: str = "development",
        sample_ratio: float = 1.0,
        batch: bool = True,
    ) -> Telemetry:
        """With no exporter, every span is a non-recording one: it still has its trace and span
        ids (so the trace context still reaches the outbox, the AMQP headers and the frames)
        but costs next to nothing on the hot path."""
        sampler = ParentBased(TraceIdRatioBased(sample_ratio)) if exporter else ALWAYS_OFF
        provider = TracerProvider(
            resource=Resource.create(
                {
                    "service.name": service,
                    "service.namespace": "taskwire",
                    "deployment.environment.name": environment,
                }
            ),
            sampler=sampler,
        )
        if exporter is not None:
            processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
            provider.add_span_processor(processor)
        return cls(service, provider, ServiceMetrics(), exporter is not None)

    def shutdown(self) -> None:
        """Send the spans still buffered (at most a few seconds' wait) and stop exporting."""
        self.tracer_provider.shutdown()


def trace_database(engine: AsyncEngine, telemetry: Telemetry) -> None:
    """A client span per SQL statement (OpenTelemetry's SQLAlchemy instrumentation, on this
    engine only and this service's tracer, not the process-wide one)."""
    connections = NoOpMeterProvider().get_meter(__name__).create_up_down_counter("unused")
    # The instrumentation package ships no type hints.
    EngineTracer(telemetry.tracer, engine.sync_engine, connections)  # type: ignore[no-untyped-call]


def trace_headers() -> dict[str, str]:
    """The current trace context as headers; a fresh root context when no span is active."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if "traceparent" not in carrier:
        carrier["traceparent"] = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
    return carrier


def context_from(headers: Mapping[str, object] | None) -> Context:
    carrier = {k: v for k, v in (headers or {}).items() if isinstance(v, str)}
    return propagate.extract(carrier)
