"""Write deploy/grafana/dashboards/*.json: a dashboard per service and one for the event
pipeline, on the metrics the services export (libs/common/src/taskwire/common/metrics.py).

    uv run --frozen python deploy/grafana/generate.py          # (re)write the files
    uv run --frozen python deploy/grafana/generate.py --check  # exit 1 if one is out of date

Grafana reads the JSON files (provisioning/dashboards/taskwire.yml); they are changed here, so
that a panel several dashboards show is written once. tests/unit/deploy/test_observability_config.py
fails when the files and this output differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DASHBOARDS = Path(__file__).resolve().parent / "dashboards"
# The provisioned data source (provisioning/datasources/taskwire.yml), named by its uid.
PROMETHEUS = {"type": "prometheus", "uid": "prometheus"}
SERVICES = ("projects", "tasks", "aggregator", "notifier")
WINDOW = "[$__rate_interval]"
PANEL_HEIGHT = 8

Json = dict[str, Any]
Query = tuple[str, str]  # (PromQL, legend)


@dataclass(frozen=True)
class Panel:
    title: str
    unit: str
    queries: tuple[Query, ...]
    stat: bool = False  # the latest figure, not a graph
    up_down: bool = False  # 1 reads "up" on green, 0 "down" on red


def graph(title: str, unit: str, *queries: Query) -> Panel:
    return Panel(title, unit, queries)


def up_or_down(title: str, *queries: Query) -> Panel:
    return Panel(title, "none", queries, stat=True, up_down=True)


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


# -- PromQL ------------------------------------------------------------------------------------


def by(operator: str, labels: str, expr: str) -> str:
    return f"{operator} by ({labels}) ({expr})" if labels else f"{operator}({expr})"


def legend(labels: str) -> str:
    """Grafana's legend naming each line by these labels' values."""
    return " ".join(f"{{{{{label.strip()}}}}}" for label in labels.split(",") if label.strip())


@dataclass(frozen=True)
class Select:
    """The queries of one dashboard, on the series its label matchers select."""

    where: str

    def series(self, metric: str, *matchers: str) -> str:
        return f"{metric}{{{', '.join((self.where, *matchers))}}}"

    def rate(self, metric: str, *matchers: str) -> str:
        return f"rate({self.series(metric, *matchers)}{WINDOW})"

    def total(self, counter: str, labels: str = "", *matchers: str) -> str:
        """Per second, summed over the instances (by the labels given)."""
        return by("sum", labels, self.rate(counter, *matchers))

    def hourly(self, counter: str) -> str:
        return by("sum", "", f"increase({self.series(counter)}[1h])")

    def quantile(self, q: float, histogram: str, labels: str = "") -> str:
        buckets = by(
            "sum", ", ".join(filter(None, (labels, "le"))), self.rate(f"{histogram}_bucket")
        )
        return f"histogram_quantile({q}, {buckets})"

    def quantiles(self, histogram: str, labels: str = "") -> tuple[Query, ...]:
        """p50 and p99, each line named by its labels' values."""
        return tuple(
            (self.quantile(q, histogram, labels), f"p{round(q * 100)} {legend(labels)}".strip())
            for q in (0.5, 0.99)
        )


Section = Callable[[Select, str], Row]  # (the dashboard's series, labels to break down by)

HTTP = "taskwire_http_request_duration_seconds"
STATEMENTS = "taskwire_http_request_db_statements"
ROUTE = "method, route"
SERVER_ERROR = 'status=~"5.."'


# -- the sections --------------------------------------------------------------------------------


def health(s: Select, _: str) -> Row:
    dependencies = by("min", "dependency", s.series("taskwire_dependency_up"))
    return Row(
        "Health",
        (
            up_or_down("Up", (s.series("up"), "{{instance}}")),
            up_or_down("Dependencies (readiness)", (dependencies, "{{dependency}}")),
            graph("CPU", "percentunit", (s.rate("process_cpu_seconds_total"), "{{instance}}")),
            graph("Memory", "bytes", (s.series("process_resident_memory_bytes"), "{{instance}}")),
            Panel(
                "Uptime",
                "s",
                ((f"time() - {s.series('process_start_time_seconds')}", "{{instance}}"),),
                stat=True,
            ),
        ),
    )


def http(s: Select, _: str) -> Row:
    count = f"{HTTP}_count"
    errors = f"{s.total(count, '', SERVER_ERROR)} / {s.total(count)}"
    statements = by("sum", ROUTE, s.rate(f"{STATEMENTS}_sum"))
    statements += " / " + by("sum", ROUTE, s.rate(f"{STATEMENTS}_count"))
    return Row(
        "HTTP",
        (
            graph("Requests/s by route", "reqps", (s.total(count, ROUTE), legend(ROUTE))),
            graph("Errors: 5xx share", "percentunit", (errors, "5xx")),
            graph("Latency p50 by route", "s", (s.quantile(0.5, HTTP, ROUTE), legend(ROUTE))),
            graph("Latency p99 by route", "s", (s.quantile(0.99, HTTP, ROUTE), legend(ROUTE))),
            graph("SQL statements per request by route", "short", (statements, legend(ROUTE))),
            graph(
                "Slow SQL statements/s", "ops", (s.total("taskwire_db_slow_queries_total"), "slow")
            ),
        ),
    )


def outbox(s: Select, labels: str) -> Row:
    """Its figures by `labels` (the pipeline's: by service), or of the one service."""
    types = ", ".join(filter(None, (labels, "type")))
    named = legend(labels) if labels else ""

    def latest(metric: str, fallback: str) -> Query:
        return by("max", labels, s.series(metric)), named or fallback

    return Row(
        "Outbox",
        (
            graph("Pending events", "short", latest("taskwire_outbox_pending_events", "pending")),
            graph(
                "Oldest pending event's age",
                "s",
                latest("taskwire_outbox_oldest_pending_age_seconds", "oldest"),
            ),
            graph(
                "Events published/s by type",
                "ops",
                (s.total("taskwire_events_published_total", types), legend(types)),
            ),
            graph(
                "Events returned by the broker (unroutable)/s by type",
                "ops",
                (s.total("taskwire_events_returned_total", types), legend(types)),
            ),
        ),
    )


def consumers(s: Select, _: str) -> Row:
    def outcome(title: str, name: str) -> Panel:
        messages = s.total("taskwire_consumer_messages_total", "queue", f'outcome="{name}"')
        return graph(title, "ops", (messages, "{{queue}}"))

    waiting = by("max", "queue", s.series("taskwire_consumer_queue_messages"))
    return Row(
        "Consumers",
        (
            outcome("Processed/s by queue", "processed"),
            outcome("Failed/s by queue (to be retried)", "failed"),
            outcome("Dead-lettered/s by queue", "dead_lettered"),
            graph(
                "Lag: an event's age when applied",
                "s",
                *s.quantiles("taskwire_consumer_event_age_seconds", "queue"),
            ),
            graph(
                "Processing time",
                "s",
                *s.quantiles("taskwire_consumer_processing_seconds", "queue"),
            ),
            graph("Messages waiting in the queue", "short", (waiting, "{{queue}}")),
        ),
    )


def aggregating(s: Select, _: str) -> Row:
    return Row(
        "Aggregating",
        (
            graph("Batches/s", "ops", (s.total("taskwire_aggregator_batches_total"), "batches")),
            graph("Events per batch", "short", *s.quantiles("taskwire_aggregator_batch_events")),
            graph(
                "Reconciling, per hour",
                "short",
                (s.hourly("taskwire_aggregator_reconcile_runs_total"), "runs"),
                (s.hourly("taskwire_aggregator_reconcile_drift_tasks_total"), "drifted tasks"),
            ),
        ),
    )


def live_feed(s: Select, _: str) -> Row:
    return Row(
        "Live feed (WebSocket)",
        (
            graph(
                "Connections",
                "short",
                (by("sum", "", s.series("taskwire_notifier_connections")), "connections"),
            ),
            graph("Rooms", "short", (by("sum", "", s.series("taskwire_notifier_rooms")), "rooms")),
            graph("Deliveries/s", "ops", (s.total("taskwire_notifier_deliveries_total"), "frames")),
            graph(
                "Slow clients closed/s",
                "ops",
                (s.total("taskwire_notifier_slow_client_closes_total"), "closed"),
            ),
            graph(
                "Resumes/s by outcome",
                "ops",
                (s.total("taskwire_notifier_resumes_total", "outcome"), "{{outcome}}"),
            ),
        ),
    )


# -- Grafana's JSON ------------------------------------------------------------------------------

UP_DOWN: Json = {
    "mappings": [
        {
            "type": "value",
            "options": {
                "0": {"text": "down", "color": "red", "index": 0},
                "1": {"text": "up", "color": "green", "index": 1},
            },
        }
    ],
    "thresholds": {
        "mode": "absolute",
        "steps": [{"color": "red", "value": None}, {"color": "green", "value": 1}],
    },
}
STAT_OPTIONS: Json = {
    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
    "colorMode": "background",
    "graphMode": "none",
    "justifyMode": "auto",
    "orientation": "auto",
    "textMode": "auto",
}
GRAPH_OPTIONS: Json = {
    "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
    "tooltip": {"mode": "multi", "sort": "desc"},
}


def panel_json(panel: Panel, panel_id: int, grid: Json) -> Json:
    defaults: Json = {"unit": panel.unit, **(UP_DOWN if panel.up_down else {})}
    return {
        "id": panel_id,
        "type": "stat" if panel.stat else "timeseries",
        "title": panel.title,
        "datasource": PROMETHEUS,
        "gridPos": grid,
        "targets": [
            {
                "refId": chr(ord("A") + n),
                "datasource": PROMETHEUS,
                "expr": expr,
                "legendFormat": text,
                "range": True,
            }
            for n, (expr, text) in enumerate(panel.queries)
        ],
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": STAT_OPTIONS if panel.stat else GRAPH_OPTIONS,
    }


def layout(rows: list[Row]) -> list[Json]:
    """Each row under its title, its panels side by side, as many to a line as fit in four."""
    panels: list[Json] = []
    y = 0
    for row in rows:
        panels.append(
            {
                "id": len(panels) + 1,
                "type": "row",
                "title": row.title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        y += 1
        width = 24 // min(len(row.panels), 4)
        for n, panel in enumerate(row.panels):
            x = (n * width) % 24
            if n and x == 0:
                y += PANEL_HEIGHT
            grid = {"h": PANEL_HEIGHT, "w": width, "x": x, "y": y}
            panels.append(panel_json(panel, len(panels) + 1, grid))
        y += PANEL_HEIGHT
    return panels


def variable(name: str, query: str) -> Json:
    """A multi-value variable of the label's values in Prometheus, all of them at first."""
    return {
        "name": name,
        "label": name,
        "type": "query",
        "datasource": PROMETHEUS,
        "definition": query,
        "query": {"query": query, "refId": name},
        "refresh": 2,
        "includeAll": True,
        "multi": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
        "sort": 1,
        "hide": 0,
    }


def dashboard(name: str, title: str, description: str, rows: list[Row], templated: Json) -> Json:
    return {
        "uid": f"taskwire-{name}",
        "title": f"Taskwire / {title}",
        "description": description,
        "tags": ["taskwire"],
        "editable": False,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "timezone": "",
        "graphTooltip": 1,
        "links": [
            {"title": "Taskwire", "type": "dashboards", "tags": ["taskwire"], "asDropdown": True}
        ],
        "annotations": {"list": []},
        "templating": {"list": [templated]},
        "panels": layout(rows),
    }


# What each service's dashboard shows besides its health.
SERVICE_SECTIONS: dict[str, tuple[Section, ...]] = {
    "projects": (http, outbox, consumers),
    "tasks": (http, outbox, consumers),
    "aggregator": (http, outbox, consumers, aggregating),
    "notifier": (consumers, live_feed),
}
PIPELINE_SECTIONS: tuple[Section, ...] = (outbox, consumers)


def service_dashboard(service: str) -> Json:
    selected = Select(f'job="{service}", instance=~"$instance"')
    rows = [section(selected, "") for section in (health, *SERVICE_SECTIONS[service])]
    instances = variable("instance", f'label_values(up{{job="{service}"}}, instance)')
    return dashboard(service, service, f"The {service} service's replicas", rows, instances)


def pipeline_dashboard() -> Json:
    selected = Select('job=~"$job"')
    rows = [section(selected, "job") for section in PIPELINE_SECTIONS]
    rows.append(live_feed(Select('job="notifier"'), ""))
    jobs = variable("job", f'label_values(up{{job=~"{"|".join(SERVICES)}"}}, job)')
    description = (
        "Events from each service's outbox through the broker to its consumers and the live feed"
    )
    return dashboard("pipeline", "event pipeline", description, rows, jobs)


def dashboards() -> dict[str, Json]:
    """Each dashboard by its file's name."""
    found = {f"{service}.json": service_dashboard(service) for service in SERVICES}
    found["pipeline.json"] = pipeline_dashboard()
    return found


def render() -> dict[Path, str]:
    return {
        DASHBOARDS / name: json.dumps(board, indent=2) + "\n"
        for name, board in dashboards().items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    wanted = render()
    strays = sorted(set(DASHBOARDS.glob("*.json")) - set(wanted))
    if args.check:
        stale = [p for p, text in wanted.items() if not p.exists() or p.read_text() != text]
        for path in [*stale, *strays]:
            print(f"{path} is out of date: run {Path(__file__).name}", file=sys.stderr)
        return 1 if stale or strays else 0
    DASHBOARDS.mkdir(exist_ok=True)
    for path, text in wanted.items():
        path.write_text(text)
        print(f"wrote {path}")
    for path in strays:  # the folder holds what this writes, nothing else
        path.unlink()
        print(f"removed {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
