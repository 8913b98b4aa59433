"""Read-through: what the replica lacks, the directory asks the projects service, as the caller.

The projects service runs for real (its app under uvicorn, its own migrated database). Its
events go to an exchange nobody here consumes, so whatever the tasks side finds, it found
through REST, before any event could have been applied.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from taskwire.common.auth import Caller
from taskwire.common.events.projects import Category, Role
from taskwire.common.ids import new_id
from taskwire.tasks.replica.directory import Directory
from taskwire.tasks.replica.projects_client import ProjectsClient
from taskwire.tasks.settings import TasksSettings
from taskwire.testkit.rest import post, workspace_and_project
from taskwire.testkit.users import User, Users


@pytest.fixture
def projects_url(projects_service: str) -> str:
    return projects_service


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    found = create_async_engine(database_url)
    yield found
    await found.dispose()


@pytest.fixture
async def directory(settings: TasksSettings, engine: AsyncEngine) -> AsyncIterator[Directory]:
    client = ProjectsClient(settings, engine)
    yield Directory(engine, client, ttl_seconds=60, max_entries=100)
    await client.close()


def caller(user: User) -> Caller:
    return Caller(user.id, user.email, user.name, token=user.token)


async def test_a_project_created_a_moment_ago_is_found_with_its_board_and_members(
    projects_service: str, directory: Directory, engine: AsyncEngine, users: Users
) -> None:
    ada, bob = users("ada"), users("bob")
    ws, project_id = await workspace_and_project(projects_service, ada)
    body = {"user_id": str(bob.id), "email": bob.email, "display_name": bob.name}
    await post(projects_service, ada, f"/workspaces/{ws}/members", body)

    view = await directory.project(project_id, caller(ada))
    owner = await directory.member(ws, ada.id, caller(ada))
    member = await directory.member(ws, bob.id, caller(ada))

    assert view is not None
    assert (view.workspace_id, view.key, view.archived) == (ws, "WEB", False)
    assert [s.category for s in view.statuses] == list(Category)
    default = view.default_status()
    assert default is not None
    assert default.category is Category.TODO
    assert owner is not None
    assert (owner.role, owner.email) == (Role.OWNER, ada.email)
    assert member is not None
    assert (member.role, member.display_name) == (Role.MEMBER, bob.name)
    async with engine.connect() as conn:
        stored = await conn.exec_driver_sql("SELECT version, last_number FROM projects")
        assert [tuple(r) for r in stored] == [(1, 0)]
        statuses = await conn.exec_driver_sql("SELECT count(*) FROM statuses WHERE version >= 1")
        assert statuses.scalar() == 5


async def test_what_the_projects_service_does_not_show_the_caller_is_none(
    projects_service: str, directory: Directory, engine: AsyncEngine, users: Users
) -> None:
    ada, eve = users("ada"), users("eve")
    ws, project_id = await workspace_and_project(projects_service, ada)

    assert await directory.project(new_id(), caller(ada)) is None
    assert await directory.member(ws, eve.id, caller(ada)) is None
    assert await directory.project(project_id, caller(eve)) is None, "not eve's"
    async with engine.connect() as conn:
        assert (await conn.exec_driver_sql("SELECT count(*) FROM projects")).scalar() == 0
        assert (await conn.exec_driver_sql("SELECT count(*) FROM members")).scalar() == 0


async def test_a_task_is_created_in_a_project_made_a_moment_ago(
    projects_service: str, client: httpx.AsyncClient, users: Users
) -> None:
    ada = users("ada")
    _, project_id = await workspace_and_project(projects_service, ada)

    created = await client.post(
        f"/api/v1/projects/{project_id}/tasks", json={"title": "First"}, headers=ada.auth
    )

    assert created.status_code == 201, created.text
    assert created.json()["number"] == 1
