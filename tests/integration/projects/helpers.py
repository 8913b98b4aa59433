"""Helpers of the projects tests: API shortcuts, row counts, and the events other services
send it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
from pydantic import BaseModel

from taskwire.common.events import Envelope, Subject, new_event
from taskwire.common.events.projects import Category
from taskwire.common.events.tasks import TaskState
from taskwire.common.ids import new_id
from taskwire.testkit.users import User
from tests.support.sql import fetch

TABLES = ("workspaces", "members", "projects", "statuses", "outbox")


class Api:
    """Shortcuts that make the state a test starts from, asserting each call succeeded."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, user: User, url: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(f"/api/v1{url}", json=body, headers=user.auth)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def workspace(self, owner: User, name: str = "Acme", **body: Any) -> dict[str, Any]:
        return await self.post(owner, "/workspaces", {"name": name, **body})

    async def member(
        self, admin: User, workspace: dict[str, Any], user: User, role: str = "member"
    ) -> dict[str, Any]:
        body = {"user_id": str(user.id), "email": user.email, "display_name": user.name}
        return await self.post(
            admin, f"/workspaces/{workspace['id']}/members", {**body, "role": role}
        )

    async def project(
        self, admin: User, workspace: dict[str, Any], key: str = "WEB", **body: Any
    ) -> dict[str, Any]:
        body = {"key": key, "name": f"Project {key}", **body}
        return await self.post(admin, f"/workspaces/{workspace['id']}/projects", body)


async def row_counts(database_url: str) -> dict[str, int]:
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in TABLES)
    return {row[0]: row[1] for row in await fetch(database_url, sql)}


def task_event(type_: str, project: dict[str, Any], actor: UUID, occurred: datetime) -> Envelope:
    """A task created (or restored) in `project` by `actor`, as the tasks service sends it."""
    now = datetime.now(UTC)
    state = TaskState(
        id=new_id(),
        project_id=UUID(project["id"]),
        workspace_id=UUID(project["workspace_id"]),
        number=1,
        title="Revive",
        description="",
        status_id=UUID(project["statuses"][0]["id"]),
        category=Category.TODO,
        position="1",
        priority="none",
        reporter_id=actor,
        version=1,
        created_at=now,
        updated_at=now,
    )
    event = new_event(
        type_,
        producer="tasks",
        subject=Subject(kind="task", id=state.id, version=1),
        data=state,
        workspace_id=state.workspace_id,
        project_id=state.project_id,
        actor_id=actor,
    )
    return event.model_copy(update={"occurred_at": occurred})


def aggregator_event(
    project: dict[str, Any], type_: str, version: int, data: BaseModel
) -> Envelope:
    """A project.progress_changed or project.derived_status_changed, as the aggregator sends it."""
    return new_event(
        type_,
        producer="aggregator",
        subject=Subject(kind="project", id=UUID(project["id"]), version=version),
        data=data,
        workspace_id=UUID(project["workspace_id"]),
        project_id=UUID(project["id"]),
    )
