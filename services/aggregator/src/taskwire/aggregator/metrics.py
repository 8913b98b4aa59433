"""The aggregator's own figures, beside every service's (on the same registry)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from taskwire.aggregator.domain import Drift
from taskwire.common.metrics import BATCH_BUCKETS, ServiceMetrics


class AggregatorMetrics:
    def __init__(self, service: ServiceMetrics) -> None:
        r = service.registry
        self.batches = Counter(
            "taskwire_aggregator_batches_total", "Batches of task events applied", registry=r
        )
        self.batch_events = Histogram(
            "taskwire_aggregator_batch_events",
            "Task events per applied batch",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.reconcile_runs = Counter(
            "taskwire_aggregator_reconcile_runs_total", "Reconciles run", registry=r
        )
        self.reconcile_drift = Counter(
            "taskwire_aggregator_reconcile_drift_tasks_total",
            "Tasks a reconcile found counted wrongly (behind, corrupt or unknown) and repaired",
            ["kind"],
            registry=r,
        )

    def applied(self, events: int) -> None:
        self.batches.inc()
        self.batch_events.observe(events)

    def reconciled(self, drift: Drift) -> None:
        self.reconcile_runs.inc()
        self.reconcile_drift.labels("behind").inc(drift.tasks_behind)
        self.reconcile_drift.labels("corrupt").inc(drift.tasks_corrupt)
        self.reconcile_drift.labels("unknown").inc(drift.tasks_unknown)
