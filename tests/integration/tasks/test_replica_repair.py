"""The replica's repair: a member removed in the projects service whose `member.removed` never
reached the tasks service (its events go to an exchange nobody here consumes, as if
dead-lettered) is refused once the repair has run, on demand or by itself.

The projects service runs for real; the tasks service reads its roster with the internal token.
"""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest

from taskwire.tasks.settings import TasksSettings
from taskwire.testkit.rest import post, workspace_and_project
from taskwire.testkit.users import User, Users
from taskwire.testkit.waiting import eventually


@pytest.fixture
def projects_url(projects_service: str) -> str:
    return projects_service


@pytest.fixture
def settings(settings: TasksSettings) -> TasksSettings:
    # Only the test that says so repairs by itself; the others ask.
    return settings.model_copy(update={"replica_repair_interval_seconds": 0})


async def a_member_with_a_task(
    projects_service: str, client: httpx.AsyncClient, ada: User, bob: User
) -> tuple[UUID, str]:
    """A workspace of ada's where bob is a member who made a task (so the tasks service's
    replica holds his membership); the workspace and the task's path."""
    ws, project_id = await workspace_and_project(projects_service, ada)
    body = {"user_id": str(bob.id), "email": bob.email, "display_name": bob.name}
    await post(projects_service, ada, f"/workspaces/{ws}/members", body)
    created = await client.post(
        f"/api/v1/projects/{project_id}/tasks", json={"title": "Bob's"}, headers=bob.auth
    )
    assert created.status_code == 201, created.text
    return ws, f"/api/v1/tasks/{created.json()['id']}"


async def remove(projects_service: str, owner: User, ws: UUID, user: User) -> None:
    async with httpx.AsyncClient(base_url=f"{projects_service}/api/v1") as http:
        removed = await http.delete(f"/workspaces/{ws}/members/{user.id}", headers=owner.auth)
    assert removed.status_code == 204, removed.text


async def test_a_removal_the_replica_missed_is_repaired_on_demand(
    projects_service: str, client: httpx.AsyncClient, settings: TasksSettings, users: Users
) -> None:
    ada, bob = users("ada"), users("bob")
    ws, task = await a_member_with_a_task(projects_service, client, ada, bob)
    await remove(projects_service, ada, ws, bob)
    seen = await client.get(task, headers=bob.auth)
    assert seen.status_code == 200, "the replica never heard of the removal"

    internal = {"Authorization": f"Bearer {settings.internal_token.get_secret_value()}"}
    path = f"/internal/v1/replica/workspaces/{ws}/members/repair"
    refused = await client.post(path, headers=bob.auth)
    repaired = await client.post(path, headers=internal)

    assert refused.status_code == 401
    assert repaired.status_code == 200, repaired.text
    # Bob's removal, and ada's membership: the replica had not needed it yet.
    assert repaired.json() == {"workspace_id": str(ws), "saved": 2, "dropped": 0}
    assert (await client.get(task, headers=bob.auth)).status_code == 404
    bobs_write = await client.patch(task, json={"title": "Still mine?"}, headers=bob.auth)
    assert bobs_write.status_code == 404
    assert (await client.get(task, headers=ada.auth)).status_code == 200
    again = await client.post(path, headers=internal)
    assert again.json() == {"workspace_id": str(ws), "saved": 0, "dropped": 0}


async def test_a_repair_of_a_workspace_the_projects_service_does_not_have_changes_nothing(
    projects_service: str, client: httpx.AsyncClient, settings: TasksSettings, users: Users
) -> None:
    ada, bob = users("ada"), users("bob")
    ws, task = await a_member_with_a_task(projects_service, client, ada, bob)
    internal = {"Authorization": f"Bearer {settings.internal_token.get_secret_value()}"}

    unknown = await client.post(
        f"/internal/v1/replica/workspaces/{bob.id}/members/repair", headers=internal
    )

    assert unknown.status_code == 404, unknown.text
    assert (await client.get(task, headers=bob.auth)).status_code == 200
    async with httpx.AsyncClient(base_url=projects_service) as http:
        roster = await http.get(f"/internal/v1/workspaces/{ws}/roster", headers=bob.auth)
    assert roster.status_code == 401, "the roster is for Taskwire's services only"


class TestBySelf:
    @pytest.fixture
    def settings(self, settings: TasksSettings) -> TasksSettings:
        return settings.model_copy(update={"replica_repair_interval_seconds": 0.05})

    async def test_a_removal_the_replica_missed_is_repaired_by_the_sweep(
        self, projects_service: str, client: httpx.AsyncClient, users: Users
    ) -> None:
        ada, bob = users("ada"), users("bob")
        ws, task = await a_member_with_a_task(projects_service, client, ada, bob)
        await remove(projects_service, ada, ws, bob)

        async def bob_refused() -> bool:
            return (await client.get(task, headers=bob.auth)).status_code == 404

        await eventually(bob_refused, what="bob refused after the sweep")
        assert (await client.get(task, headers=ada.auth)).status_code == 200
