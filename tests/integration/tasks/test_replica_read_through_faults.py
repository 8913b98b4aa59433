"""Read-through when the projects service fails, refuses, or need not be asked at all.

A stub stands in for the projects service, answering every request the same way and counting
them: what is retried, what is not, and what the caller is told.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from taskwire.common.auth import Caller
from taskwire.common.errors import ServiceUnavailable
from taskwire.common.events.projects import MEMBER_ADDED, PROJECT_CREATED, PROJECT_DELETED
from taskwire.common.ids import new_id
from taskwire.projects.events import member_event, project_event
from taskwire.tasks.replica.directory import Directory
from taskwire.tasks.replica.projects_client import ProjectsClient
from taskwire.tasks.settings import TasksSettings
from taskwire.testkit.users import Users
from tests.integration.tasks.conftest import NO_PROJECTS_SERVICE
from tests.integration.tasks.replica_helpers import (
    ACTOR,
    ReplicaDb,
    member_state,
    project_state,
    workspace_state,
)
from tests.support.problems import assert_problem
from tests.support.service import serving

# Whom the stub is asked for does not matter: it answers everyone alike.
SOMEONE = Caller(new_id(), "someone@example.test", "Someone", token="token")


class Stub:
    def __init__(self, status: int, delay: float = 0.0) -> None:
        self.status, self.delay, self.hits = status, delay, 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.hits += 1
        await asyncio.sleep(self.delay)
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


MakeClient = Callable[[str], ProjectsClient]


@pytest.fixture
async def make_client(database_url: str, db: ReplicaDb) -> AsyncIterator[MakeClient]:
    """A read-through client asking the projects service at a given address."""
    clients: list[ProjectsClient] = []

    def make(projects_url: str) -> ProjectsClient:
        settings = TasksSettings(
            environment="development",
            database_url=database_url,
            projects_url=projects_url,
            projects_attempts=3,
            projects_timeout_seconds=0.3,
        )
        clients.append(ProjectsClient(settings, db.engine))
        return clients[-1]

    yield make
    for client in clients:
        await client.close()


@pytest.mark.parametrize(("status", "delay"), [(503, 0.0), (500, 0.0), (200, 1.0)])
async def test_a_failing_projects_service_is_asked_again_then_answers_503(
    make_client: MakeClient, status: int, delay: float
) -> None:
    stub = Stub(status, delay)
    async with serving(stub, lifespan="off") as url:
        with pytest.raises(ServiceUnavailable) as raised:
            await make_client(url).project(new_id(), SOMEONE)

    assert stub.hits == 3
    assert raised.value.status == 503
    assert "projects service" in raised.value.detail


@pytest.mark.parametrize("status", [401, 403, 404, 422])
async def test_a_refusal_is_not_asked_again_and_finds_nothing(
    make_client: MakeClient, status: int
) -> None:
    stub = Stub(status)
    async with serving(stub, lifespan="off") as url:
        assert await make_client(url).project(new_id(), SOMEONE) is False

    assert stub.hits == 1


async def test_what_the_replica_knows_is_gone_is_not_asked_about(
    db: ReplicaDb, make_client: MakeClient, users: Users
) -> None:
    bob = users("bob")
    workspace = workspace_state()
    project = project_state(workspace.id)
    gone = project.model_copy(update={"deleted": True, "version": 2, "statuses": None})
    await db.apply(
        project_event(PROJECT_CREATED, project, ACTOR),
        project_event(PROJECT_DELETED, gone, ACTOR),
        member_event(MEMBER_ADDED, member_state(workspace.id, bob, version=2, removed=True), ACTOR),
    )
    stub = Stub(200)
    async with serving(stub, lifespan="off") as url:
        directory = Directory(db.engine, make_client(url), ttl_seconds=60, max_entries=100)
        assert await directory.project(project.id, SOMEONE) is None
        assert await directory.member(workspace.id, bob.id, SOMEONE) is None

    assert stub.hits == 0, "a tombstone is the replica's answer, not a miss"


@pytest.mark.parametrize("projects_url", [NO_PROJECTS_SERVICE])
async def test_a_create_the_replica_cannot_answer_without_the_projects_service_is_503(
    client: httpx.AsyncClient, users: Users, projects_url: str
) -> None:
    ada = users("ada")

    response = await client.post(
        f"/api/v1/projects/{new_id()}/tasks", json={"title": "First"}, headers=ada.auth
    )

    body = assert_problem(response, 503, "unavailable")
    assert "projects service" in body["detail"]
