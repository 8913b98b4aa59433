"""Redis being down slows the counts route and nothing else: counting goes on, reads come
from Postgres, and the service stays ready."""

from __future__ import annotations

import httpx
import pytest

from taskwire.testkit.board import Board
from taskwire.testkit.counts import CountsDb, expected_counts, nonzero
from taskwire.testkit.rest import workspace_and_project
from taskwire.testkit.users import Users
from tests.support.amqp import Publisher


@pytest.fixture
def redis_url() -> str:
    return "redis://127.0.0.1:9/0"  # nothing listens


@pytest.fixture
def projects_url(projects_service: str) -> str:
    return projects_service


async def test_without_redis_counts_are_kept_and_served(
    client: httpx.AsyncClient, users: Users, projects_service: str, tasks: Publisher, db: CountsDb
) -> None:
    ada = users("ada")
    workspace, project = await workspace_and_project(projects_service, ada)
    board = Board()
    board.workspace_id, board.projects = workspace, [project]
    await tasks.publish(*(board.create(project) for _ in range(3)))
    await tasks.handled()
    assert nonzero(await db.counts()) == expected_counts(board.facts())

    for _ in range(3):  # the first failure rests Redis; the next ones do not even try
        response = await client.get(f"/api/v1/projects/{project}/counts", headers=ada.auth)
        assert response.status_code == 200, response.text
        assert response.json()["counts"]["total"] == 3
    assert (await client.get("/readyz")).status_code == 200
