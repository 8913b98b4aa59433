"""GET /api/v1/projects/{id}/counts: authorised like the project (the projects service runs
for real), served from Redis when present, from Postgres otherwise, and without Redis too."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
import redis.asyncio as redis

from taskwire.aggregator.settings import AggregatorSettings
from taskwire.common.events import Envelope
from taskwire.common.events.projects import Category
from taskwire.testkit.board import Board
from taskwire.testkit.infra import Infra
from taskwire.testkit.rest import post, workspace_and_project
from taskwire.testkit.users import User, Users
from taskwire.testkit.waiting import eventually
from tests.support.amqp import Publisher
from tests.support.problems import assert_problem


@pytest.fixture
def projects_url(projects_service: str) -> str:
    return projects_service


def tasks_in(board: Board, workspace: UUID, project: UUID, count: int) -> list[Envelope]:
    board.workspace_id, board.projects = workspace, [project]
    events = [board.create(project) for _ in range(count)]
    return [*events, board.move(events[0].subject.id, Category.DONE)]


async def get_counts(client: httpx.AsyncClient, user: User, project: UUID) -> httpx.Response:
    return await client.get(f"/api/v1/projects/{project}/counts", headers=user.auth)


async def test_a_member_reads_live_counts_and_others_get_404(
    client: httpx.AsyncClient, users: Users, projects_service: str, tasks: Publisher
) -> None:
    ada, bob, eve = users("ada"), users("bob"), users("eve")
    workspace, project = await workspace_and_project(projects_service, ada)
    body = {"user_id": str(bob.id), "email": bob.email, "display_name": bob.name}
    await post(projects_service, ada, f"/workspaces/{workspace}/members", body)

    empty = await get_counts(client, ada, project)
    assert empty.status_code == 200, empty.text
    assert empty.json()["counts"]["total"] == 0
    assert empty.json()["derived_status"] == "todo"

    await tasks.publish(*tasks_in(Board(), workspace, project, 3))
    await tasks.handled()

    async def shown() -> dict[str, Any]:
        response = await get_counts(client, bob, project)
        found: dict[str, Any] = response.json()
        return found if found["counts"]["done"] == 1 else {}

    answer = await eventually(shown, what="the counts after four events")
    assert answer["project_id"] == str(project)
    assert answer["counts"] == {
        "total": 3,
        "todo": 2,
        "in_progress": 0,
        "in_review": 0,
        "issue": 0,
        "done": 1,
        "archived": 0,
    }
    assert answer["derived_status"] == "in_progress"
    assert_problem(await get_counts(client, eve, project), 404, "not-found")
    ghost = UUID(int=7)
    assert_problem(await get_counts(client, ada, ghost), 404, "not-found")


async def test_bad_requests_are_problems(
    client: httpx.AsyncClient, users: Users, projects_service: str
) -> None:
    ada = users("ada")
    _, project = await workspace_and_project(projects_service, ada)
    missing = await client.get(f"/api/v1/projects/{project}/counts")
    assert_problem(missing, 401, "unauthenticated")
    forged = await client.get(
        f"/api/v1/projects/{project}/counts", headers={"Authorization": "Bearer not.a.token"}
    )
    assert_problem(forged, 401, "unauthenticated")
    assert_problem(
        await client.get("/api/v1/projects/not-a-uuid/counts", headers=ada.auth), 422, "validation"
    )


async def test_counts_are_cached_in_redis_and_the_cache_follows_changes(
    client: httpx.AsyncClient,
    users: Users,
    projects_service: str,
    tasks: Publisher,
    settings: AggregatorSettings,
    infra: Infra,
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    board = Board()
    await tasks.publish(*tasks_in(board, workspace, project, 2))
    await tasks.handled()
    cache = redis.Redis.from_url(infra.redis_url)
    key = f"{settings.redis_key_prefix}aggregator:counts:{project}"

    async def holding(total: int) -> bytes | None:
        body = await cache.hget(key, "body")
        return body if isinstance(body, bytes) and f'"total":{total}'.encode() in body else None

    try:
        # The two events may be applied in two batches, each cached in turn: the second's.
        cached = await eventually(lambda: holding(2), what="the counts in redis")
        assert (await get_counts(client, ada, project)).content == cached

        await tasks.publish(board.delete(next(iter(board.tasks))))
        await tasks.handled()
        await eventually(lambda: holding(1), what="the cache follows the new counts")
        assert (await get_counts(client, ada, project)).json()["counts"]["total"] == 1
    finally:
        await cache.aclose()
