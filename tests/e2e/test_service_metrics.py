"""What /metrics shows of the system at work: requests by route template and status, statements
per request, events published, messages consumed and their lag, the aggregator's batches and
reconciles."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import httpx

from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.support.metrics import Scrape, scrape
from tests.support.system import System

CREATE = {"method": "POST", "route": "/api/v1/projects/{project_id}/tasks"}


def until(service: str, ok: Callable[[Scrape], bool]) -> Callable[[], Coroutine[Any, Any, Any]]:
    async def scraped() -> Scrape | None:
        found = await scrape(service)
        return found if ok(found) else None

    return scraped


async def test_metrics_follow_a_task_from_request_to_counts(system: System, users: Users) -> None:
    ada = users("ada")
    _, project = await system.workspace_and_project(ada)
    for n in range(3):
        await system.ok(
            system.tasks, "POST", f"/projects/{project['id']}/tasks", ada, {"title": f"t{n}"}
        )
    missing = await system.call(system.tasks, "GET", f"/tasks/{project['id']}", ada)
    assert missing.status_code == 404

    tasks = await scrape(system.tasks)
    assert tasks.value("taskwire_http_request_duration_seconds_count", **CREATE, status="201") == 3
    assert tasks.families["taskwire_http_request_duration_seconds"] == "histogram"
    assert (
        tasks.value(
            "taskwire_http_request_duration_seconds_count",
            method="GET",
            route="/api/v1/tasks/{task_id}",  # the template: one series however many tasks
            status="404",
        )
        == 1
    )
    statements = tasks.value("taskwire_http_request_db_statements_sum", **CREATE)
    assert tasks.value("taskwire_http_request_db_statements_count", **CREATE) == 3
    assert 3 <= statements <= 3 * 8, statements  # a few each, never one per row

    await eventually(
        until(
            system.tasks,
            lambda s: s.value("taskwire_events_published_total", type="task.created") == 3,
        ),
        what="three task.created published",
    )
    aggregator = await eventually(
        until(
            system.aggregator,
            lambda s: (
                s.total("taskwire_consumer_messages_total", outcome="processed") >= 3
                and s.value("taskwire_aggregator_batches_total") >= 1
            ),
        ),
        what="the aggregator consumed them",
    )
    assert aggregator.total("taskwire_consumer_event_age_seconds_count") >= 3  # lag measured
    assert aggregator.total("taskwire_consumer_messages_total", outcome="dead_lettered") == 0
    assert aggregator.value("taskwire_aggregator_batch_events_sum") >= 3
    # The projects service consumes the aggregator's progress events in turn.
    await eventually(
        until(
            system.projects,
            lambda s: s.total("taskwire_consumer_messages_total", outcome="processed") >= 1,
        ),
        what="the projects service consumed progress",
    )

    await system.reconcile(project["id"])
    after = await scrape(system.aggregator)
    assert after.value("taskwire_aggregator_reconcile_runs_total") == 1
    assert after.total("taskwire_aggregator_reconcile_drift_tasks_total") == 0


async def test_an_unknown_path_is_one_series_not_one_per_path(system: System) -> None:
    for n in range(3):
        async with httpx.AsyncClient(base_url=system.projects) as http:
            assert (await http.get(f"/no/such/{n}")).status_code == 404
    found = await scrape(system.projects)
    assert (
        found.value(
            "taskwire_http_request_duration_seconds_count",
            method="GET",
            route="unmatched",
            status="404",
        )
        == 3
    )
