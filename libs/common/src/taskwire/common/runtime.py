"""What every service runs besides its routes: the broker and its consumers, the sampler,
readiness, telemetry and admission; and, for a service that owns a database, that part too
(`taskwire.common.database`: the engine, the outbox and its relay).

The HTTP API never waits for the broker: the broker connects in the background, so writes are
accepted (and their events kept in the outbox) while RabbitMQ is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import Table

from taskwire.common.admission import Admission, AdmissionLimits, ShedOverload
from taskwire.common.auth import TokenVerifier
from taskwire.common.batch_consumer import BatchConsumer, BatchHandler, Parse
from taskwire.common.bodies import RefuseUnstorableQuery
from taskwire.common.broker import Broker, QueueSpec
from taskwire.common.consumer import Consumer, Handler, Transaction
from taskwire.common.containment import ContainErrors
from taskwire.common.database import Database
from taskwire.common.errors import BodySizeLimit, install_problem_handlers
from taskwire.common.health import ReadinessCheck, broker_check
from taskwire.common.health import router as health_router
from taskwire.common.http_metrics import RequestMetrics
from taskwire.common.http_metrics import router as metrics_router
from taskwire.common.sampling import Sampler
from taskwire.common.settings import DatabaseSettings, ServiceSettings
from taskwire.common.telemetry import Telemetry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subscription:
    """A queue this service consumes and the handler applied to each of its events, inside what
    `step` opens (default: a unit of work of the service's database)."""

    queue: str
    bindings: tuple[str, ...]
    handler: Handler[Any]
    step: Callable[[], Transaction] | None = None
    # Apply one event at a time, in the queue's order (a feed whose readers see that order).
    in_order: bool = False


@dataclass(frozen=True)
class BatchSubscription:
    """A queue whose events are parsed one by one and applied in batches (see BatchConsumer),
    each batch in one unit of work of the service's database."""

    queue: str
    bindings: tuple[str, ...]
    parse: Parse[Any]
    handler: BatchHandler[Any, Any]


@dataclass
class ServiceRuntime:
    """The runtime of one service process. With `outbox_table` (and `DatabaseSettings`), it
    also runs the database part: `database` is then the engine, outbox and relay."""

    settings: ServiceSettings
    outbox_table: Table | None = None
    subscriptions: list[Subscription | BatchSubscription] = field(default_factory=list)
    run_relay: bool = True
    telemetry: Telemetry | None = None
    # Further readiness checks (a service's own dependencies, e.g. Redis).
    checks: Mapping[str, ReadinessCheck] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = self.settings
        telemetry = self.telemetry or Telemetry.from_settings(s)
        self.telemetry = telemetry
        self.metrics = telemetry.metrics
        self.broker = Broker(
            s.amqp_url, s.exchange, s.dead_letter_exchange, connection_name=s.service_name
        )
        self._database: Database | None = None
        if self.outbox_table is not None:
            if not isinstance(s, DatabaseSettings):
                raise TypeError(f"{type(s).__name__} has no database settings for an outbox")
            self._database = Database(s, self.outbox_table, self.broker, telemetry)
        self.consumers = [self._consumer(sub) for sub in self.subscriptions]
        # One definition of each check, for /readyz and for taskwire_dependency_up alike.
        self.readiness_checks: dict[str, ReadinessCheck] = {
            **({} if self._database is None else self._database.checks),
            "broker": broker_check(self.broker),
            **self.checks,
        }
        self.sampler = Sampler(
            self.metrics,
            self.readiness_checks,
            engine=None if self._database is None else self._database.engine,
            outbox=self.outbox_table,
            broker=self.broker,
            queues=tuple(sub.queue for sub in self.subscriptions),
            every_seconds=s.metrics_sample_seconds,
        )
        self.admission = Admission(
            AdmissionLimits(
                in_flight=s.max_requests_in_flight,
                queued_per_caller=s.max_requests_queued_per_caller,
                queued=s.max_requests_queued,
                wait_seconds=s.request_queue_seconds,
                loop_lag_seconds=s.max_loop_lag_ms / 1000,
            )
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._serves_http = False

    @property
    def database(self) -> Database:
        if self._database is None:
            raise RuntimeError(f"{self.settings.service_name} runs without a database")
        return self._database

    def _consumer(self, sub: Subscription | BatchSubscription) -> Consumer[Any]:
        s, telemetry = self.settings, self.telemetry
        assert telemetry is not None
        spec = QueueSpec(sub.queue, sub.bindings, s.consumer_delivery_limit)
        if isinstance(sub, BatchSubscription):
            return BatchConsumer(
                self.broker,
                spec,
                sub.parse,
                sub.handler,
                self.database.unit_of_work,
                prefetch=s.consumer_prefetch,
                tracer=telemetry.tracer,
                metrics=self.metrics,
                span_per_message=telemetry.exporting,
                linger=s.consumer_linger_ms / 1000,
            )
        return Consumer(
            self.broker,
            spec,
            sub.handler,
            sub.step or self.database.unit_of_work,
            prefetch=s.consumer_prefetch,
            in_order=sub.in_order,
            tracer=telemetry.tracer,
            metrics=self.metrics,
        )

    async def start(self) -> None:
        self.spawn(self._connect_and_consume(), "broker")
        if self._database is not None and self.run_relay:
            self.spawn(self._database.relay.run(), "relay")
        self.spawn(self.sampler.run(), "sampler")
        if self._serves_http:
            self.spawn(self.admission.watch_loop(), "admission")

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            await _cancelled(task)
        for consumer in self.consumers:
            await consumer.stop()
        await self.broker.close()
        if self._database is not None:
            await self._database.close()
        if self.telemetry is not None and self.telemetry.exporting:
            # Off the loop: it waits for the exporter to send what is still buffered.
            await asyncio.to_thread(self.telemetry.shutdown)

    async def _connect_and_consume(self) -> None:
        await self.broker.connect()
        for consumer in self.consumers:
            await consumer.start()

    def spawn(self, coro: Awaitable[None], name: str) -> None:
        """Run `coro` in the background until `stop()`; a crash is logged, never silent."""

        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s background task %r died", self.settings.service_name, name)
                raise

        self._tasks.append(
            asyncio.create_task(guarded(), name=f"{self.settings.service_name}.{name}")
        )

    def http_telemetry(self) -> TelemetryConfig:
        """FastAPI's own request spans (the HTTP server spans, continuing a caller's
        `traceparent`) only when they will be exported: unexported, they still cost several
        spans' worth of work per request. Its metrics and logs stay off: /metrics and the
        JSON logs are ours."""
        assert self.telemetry is not None
        exporting = self.telemetry.exporting
        return {
            "tracer_provider": self.telemetry.tracer_provider,
            "tracing": exporting,
            "operation_spans": False,
            "metrics": False,
            "logs": False,
        }

    def install(self, app: FastAPI) -> None:
        """Wire the shared HTTP pieces: problem+json errors, body limit, health, metrics, auth."""
        s = self.settings
        self._serves_http = True
        install_problem_handlers(app)
        # Innermost first: what the admission sheds is still measured, and whatever any of them
        # raises is contained.
        app.add_middleware(BodySizeLimit, max_bytes=s.max_body_bytes)
        app.add_middleware(RefuseUnstorableQuery)
        app.add_middleware(ShedOverload, admission=self.admission)
        app.add_middleware(RequestMetrics, metrics=self.metrics)
        app.add_middleware(ContainErrors)
        app.include_router(health_router)
        app.include_router(metrics_router)
        app.state.runtime = self
        app.state.metrics = self.metrics
        app.state.token_verifier = TokenVerifier(self.settings)
        app.state.internal_token = self.settings.internal_token.get_secret_value().encode()
        app.state.readiness_checks = self.readiness_checks

    def lifespan(self) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        return lifespan


async def _cancelled(task: asyncio.Task[None]) -> None:
    """Cancel `task` and wait for its end, cancelling again if a cancellation was swallowed:
    on Python 3.11, `asyncio.wait_for` (inside redis-py, for one) drops a cancellation that
    arrives as the call it wraps completes, and the task would go on forever."""
    for _ in range(10):
        if task.done():
            break
        task.cancel()
        await asyncio.wait([task], timeout=1.0)
    else:
        log.error("background task %s would not stop; left behind", task.get_name())
        return
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.debug("background task %s ended with %r", task.get_name(), exc)
