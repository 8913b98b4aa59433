"""The tasks service's ground truth, page by page: every task's counting facts and version."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any
from uuid import UUID

import orjson

from taskwire.aggregator.domain import FactsRow
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.common.errors import ServiceUnavailable
from taskwire.common.service_client import ServiceClient

FIELDS = ["id", "project_id", "category", "archived", "deleted", "version"]


def task_snapshot(settings: AggregatorSettings) -> tuple[TaskSnapshot, ServiceClient]:
    """The tasks service's snapshot, and its client (the caller's to close)."""
    tasks = ServiceClient(
        "tasks",
        settings.tasks_url,
        timeout=max(settings.http_timeout_seconds, 30.0),
        attempts=settings.http_attempts,
    )
    token = settings.internal_token.get_secret_value()
    return TaskSnapshot(tasks, token, settings.reconcile_page_size), tasks


class TaskSnapshot:
    def __init__(self, tasks: ServiceClient, internal_token: str, page_size: int) -> None:
        self._tasks = tasks
        self._headers = {"Authorization": f"Bearer {internal_token}"}
        self._page_size = page_size

    async def pages(self, project_id: UUID | None) -> AsyncIterator[list[FactsRow]]:
        """Every task (of one project, or all), archived and deleted ones too, in id order."""
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": self._page_size}
            if project_id is not None:
                params["project_id"] = str(project_id)
            if after is not None:
                params["after"] = after
            page = await self._call("GET", "/internal/v1/task-facts", params=params)
            yield [FactsRow._make(item) for item in page["items"]]
            after = page["next_after"]
            if after is None:
                return

    async def lookup(self, task_ids: Iterable[str]) -> list[FactsRow]:
        """The facts of those of these tasks that exist."""
        found: list[FactsRow] = []
        ids = list(task_ids)
        for start in range(0, len(ids), self._page_size):
            body = {"ids": ids[start : start + self._page_size]}
            page = await self._call("POST", "/internal/v1/task-facts/lookup", json=body)
            found.extend(FactsRow._make(item) for item in page["items"])
        return found

    async def _call(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        response = await self._tasks.request(method, path, headers=self._headers, **options)
        if not response.is_success:
            raise ServiceUnavailable(
                f"the tasks service answered {response.status_code} to {path}: "
                f"{response.text[:300]} (is TASKWIRE_INTERNAL_TOKEN the same for both?)"
            )
        page: dict[str, Any] = orjson.loads(response.content)
        if page.get("fields") != FIELDS:
            raise ServiceUnavailable(
                f"the tasks service's snapshot has fields {page.get('fields')}"
            )
        return page
