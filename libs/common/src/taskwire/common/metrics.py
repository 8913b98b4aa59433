"""Prometheus metrics every service exports on `/metrics`, each service on its own registry (so
services sharing one process, as in the tests, never mix their figures).

Names follow the Prometheus conventions: `taskwire_` prefix, base units (`_seconds`), `_total`
on counters. Labels have few values: routes are templates (`/api/v1/tasks/{task_id}`), event
types and queues are the system's own.
"""

from __future__ import annotations

from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST

# From a fast primary-key read to a slow burst: 0.5 ms up to 10 s.
LATENCY_BUCKETS: Final = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
# How long an event waited between being committed and being applied by a consumer.
AGE_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0)
STATEMENT_BUCKETS: Final = (0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50)
BATCH_BUCKETS: Final = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class ServiceMetrics:
    """What every service measures: HTTP, database, outbox, publishing, consuming, readiness."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        self.http_duration = Histogram(
            "taskwire_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.http_statements = Histogram(
            "taskwire_http_request_db_statements",
            "SQL statements one HTTP request ran",
            ["method", "route"],
            buckets=STATEMENT_BUCKETS,
            registry=r,
        )
        self.slow_queries = Counter(
            "taskwire_db_slow_queries_total",
            "SQL statements slower than the slow-query threshold",
            registry=r,
        )
        self.outbox_pending = Gauge(
            "taskwire_outbox_pending_events",
            "Events committed to the outbox and not yet confirmed by the broker",
            registry=r,
        )
        self.outbox_oldest_age = Gauge(
            "taskwire_outbox_oldest_pending_age_seconds",
            "Age of the oldest event not yet confirmed by the broker (0 when none)",
            registry=r,
        )
        self.events_published = Counter(
            "taskwire_events_published_total",
            "Events the relay published and the broker confirmed",
            ["type"],
            registry=r,
        )
        self.events_returned = Counter(
            "taskwire_events_returned_total",
            "Events the broker returned as unroutable (kept and retried later)",
            ["type"],
            registry=r,
        )
        self.consumer_messages = Counter(
            "taskwire_consumer_messages_total",
            "Messages consumed, by outcome: processed, failed (to be retried), dead_lettered",
            ["queue", "outcome"],
            registry=r,
        )
        self.consumer_duration = Histogram(
            "taskwire_consumer_processing_seconds",
            "Time to apply and commit one consumed message (a batch's time, for batches)",
            ["queue"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.consumer_event_age = Histogram(
            "taskwire_consumer_event_age_seconds",
            "Time from an event's occurrence to its being applied by this consumer (its lag)",
            ["queue"],
            buckets=AGE_BUCKETS,
            registry=r,
        )
        self.queue_messages = Gauge(
            "taskwire_consumer_queue_messages",
            "Messages ready in the consumer's queue, sampled every few seconds",
            ["queue"],
            registry=r,
        )
        self.dead_letters = Gauge(
            "taskwire_dead_letter_queue_messages",
            "Messages held in a dead-letter queue (<queue>.dlq), sampled every few seconds: each"
            " is an event whose effect is missing until it is replayed",
            ["queue"],
            registry=r,
        )
        self.dependency_up = Gauge(
            "taskwire_dependency_up",
            "1 while a dependency the service needs answers, 0 while it does not",
            ["dependency"],
            registry=r,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
