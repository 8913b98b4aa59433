"""No request holds one pooled connection while it waits for another, and the wait for one is
bounded: with a pool of ONE connection, every route that may miss the directory (and read the
projects service through) still answers, and a pool held elsewhere answers 503 within the bound.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from taskwire.common.runtime import ServiceRuntime
from taskwire.tasks.settings import TasksSettings
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import Users


@pytest.fixture
def projects_url(projects_service: str) -> str:
    return projects_service


@pytest.fixture
def settings(settings: TasksSettings) -> TasksSettings:
    return settings.model_copy(update={"db_pool_size": 1, "db_pool_timeout_seconds": 1.0})


async def test_routes_that_miss_the_directory_need_one_connection_at_a_time(
    projects_service: str, client: httpx.AsyncClient, users: Users
) -> None:
    ada = users("ada")
    # Made a moment ago on the projects service: the replica has not heard of it, so each first
    # request below loads the directory and reads through.
    _, project_id = await workspace_and_project(projects_service, ada)
    started = time.monotonic()
    listed = await client.get(f"/api/v1/projects/{project_id}/tasks", headers=ada.auth)
    assert listed.status_code == 200, listed.text
    bulk = await client.post(
        f"/api/v1/projects/{project_id}/tasks/bulk",
        json={"tasks": [{"title": "one"}, {"title": "two"}]},
        headers=ada.auth,
    )
    assert bulk.status_code == 201, bulk.text
    task_id = bulk.json()["items"][0]["id"]

    bob = users("bob")  # not a member: the directory misses and asks about bob
    hidden = await client.get(f"/api/v1/tasks/{task_id}", headers=bob.auth)
    assert hidden.status_code == 404, hidden.text
    unknown = await client.get(f"/api/v1/projects/{uuid.uuid4()}/tasks", headers=bob.auth)
    assert unknown.status_code == 404, unknown.text
    # Each would have waited out the pool's timeout (and failed) had it held its connection.
    assert time.monotonic() - started < 3


async def test_an_empty_pool_answers_503_with_retry_after_within_its_bound(
    client: httpx.AsyncClient, runtime: ServiceRuntime, users: Users
) -> None:
    ada = users("ada")
    async with runtime.database.engine.connect():  # the pool's only connection, held elsewhere
        started = time.monotonic()
        answer = await client.get(f"/api/v1/tasks/{uuid.uuid4()}", headers=ada.auth)
        waited = time.monotonic() - started
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "1"
    assert 0.9 < waited < 3
    after = await client.get(f"/api/v1/tasks/{uuid.uuid4()}", headers=ada.auth)
    assert after.status_code == 404  # the pool is whole again
