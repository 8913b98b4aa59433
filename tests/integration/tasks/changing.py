"""Shortcuts of the tests of changing tasks: the change routes (the `changes` fixture of
tests/integration/tasks/conftest.py), what events carry, the rows as written."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import httpx

from taskwire.common.events import Envelope
from taskwire.common.events.tasks import TaskState
from taskwire.tasks.schemas import TaskPublic
from taskwire.testkit.users import User
from tests.integration.tasks.helpers import World
from tests.support.sql import fetch

# Each change route: (method, path after /api/v1/tasks/{id}, a body it accepts).
ROUTES: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "update": ("PATCH", "", {"title": "Renamed"}),
    "move": ("POST", "/move", {}),
    "archive": ("POST", "/archive", None),
    "restore": ("POST", "/restore", None),
    "delete": ("DELETE", "", None),
}


class Changes:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(
        self,
        user: User,
        route: str,
        task_id: Any,
        body: dict[str, Any] | None = None,
        if_match: str | None = None,
    ) -> httpx.Response:
        method, path, default = ROUTES[route]
        headers = {**user.auth, **({"If-Match": if_match} if if_match else {})}
        return await self.client.request(
            method,
            f"/api/v1/tasks/{task_id}{path}",
            json=default if body is None else body,
            headers=headers,
        )

    async def ok(self, user: User, route: str, task_id: Any, **body: Any) -> dict[str, Any]:
        """The answer of a change that must succeed: 200, the task, its version as ETag."""
        response = await self.send(user, route, task_id, body or None)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        assert response.headers["ETag"] == f'"{answer["version"]}"'
        return answer

    async def patch(self, user: User, task_id: Any, **body: Any) -> dict[str, Any]:
        return await self.ok(user, "update", task_id, **body)

    async def move(self, user: User, task_id: Any, **body: Any) -> dict[str, Any]:
        return await self.ok(user, "move", task_id, **body)


def assert_carries(event: Envelope, type_: str, answer: dict[str, Any]) -> TaskState:
    """`event` is a `type_` of the task as `answer` shows it: its full state, at its version."""
    assert event.type == type_
    state = event.data_as(TaskState)
    public = TaskPublic.model_validate(answer)
    assert (event.subject.id, event.subject.version) == (public.id, public.version)
    assert (event.workspace_id, event.project_id) == (public.workspace_id, public.project_id)
    shown = public.model_dump(exclude={"key", "assignee", "reporter"})
    assert state.model_dump(include=set(shown)) == shown
    assert state.assignee_id == (public.assignee.id if public.assignee else None)
    assert public.reporter is not None
    assert state.reporter_id == public.reporter.id
    return state


async def task_rows(database_url: str) -> dict[UUID, asyncpg.Record]:
    """Every task row, deleted ones included, by id (`rank`: the position as written)."""
    rows = await fetch(database_url, "SELECT *, position::text AS rank FROM tasks")
    return {row["id"]: row for row in rows}


async def task_row(database_url: str, task: dict[str, Any]) -> asyncpg.Record:
    return (await task_rows(database_url))[UUID(task["id"])]


async def mark(database_url: str, w: World) -> int:
    """The project's end-of-column mark: creates at the end go past it."""
    sql = "SELECT last_position FROM projects WHERE id = $1"
    return int((await fetch(database_url, sql, w.project.id))[0][0])
