"""The live feed's own figures, on the service's registry beside what every service measures.

The broadcast path pays one counter increment per frame (by the number of sockets it went to),
never a step per socket; the gauges are read only when /metrics is scraped.
"""

from __future__ import annotations

from collections.abc import Callable, Sized

from prometheus_client import CollectorRegistry, Counter, Gauge

from taskwire.notifier.fanout_messages import REASONS


class NotifierMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.connections = Gauge(
            "taskwire_notifier_connections",
            "Open WebSocket sessions in this process (authenticated)",
            registry=registry,
        )
        self.rooms = Gauge(
            "taskwire_notifier_rooms",
            "Rooms with at least one live subscriber in this process",
            registry=registry,
        )
        self.deliveries = Counter(
            "taskwire_notifier_deliveries_total",
            "Event frames handed to sockets: live ones, once per receiving socket, and backlogs",
            registry=registry,
        )
        self.slow_closes = Counter(
            "taskwire_notifier_slow_client_closes_total",
            "Sessions closed with 4008 for falling too far behind",
            registry=registry,
        )
        resumes = Counter(
            "taskwire_notifier_resumes_total",
            "Subscriptions that asked to resume (since and epoch), by whether the gap was sent",
            ["outcome"],
            registry=registry,
        )
        # Both series exist from the start, at 0, so a rate over them is never "no data".
        self.recovered = resumes.labels("recovered")
        self.not_recovered = resumes.labels("not_recovered")
        self.fanout_dropped = Counter(
            "taskwire_notifier_fanout_dropped_total",
            "Messages on the fan-out channel this process could not read, dropped (the sessions"
            " they may have concerned told to resume), by what was wrong",
            ["reason"],
            registry=registry,
        )
        for reason in REASONS:
            self.fanout_dropped.labels(reason)
        self.fanout_restarts = Counter(
            "taskwire_notifier_fanout_restarts_total",
            "Times the fan-out subscription stopped on an error nobody foresaw and started again",
            registry=registry,
        )

    def follow(self, sessions: Sized, rooms: Callable[[], int]) -> None:
        """Read the open sessions and the live rooms at each scrape."""
        self.connections.set_function(lambda: len(sessions))
        self.rooms.set_function(rooms)
