"""Reading tasks: one task, a project's tasks with filters and orders, and the caller's own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI

from taskwire.common.events.projects import Category, Role
from taskwire.testkit.seed import Seed
from tests.integration.tasks.helpers import Api, World
from tests.support.problems import assert_problem
from tests.support.sql import fetch


@pytest.fixture
def projects_url(stub_projects_service: str) -> str:
    """The read-through finds nothing the replica was not seeded with."""
    return stub_projects_service


def board_key(w: World, task: dict[str, Any]) -> tuple[int, Decimal, str]:
    lane = list(w.project.statuses.values()).index(UUID(task["status_id"]))
    return lane, Decimal(task["position"]), task["id"]


async def filled(api: Api, w: World) -> list[dict[str, Any]]:
    """Twelve tasks across three columns, some placed on top, two assigned, one archived."""
    statuses = w.project.statuses
    made: list[dict[str, Any]] = []
    for i in range(12):
        column = (Category.TODO, Category.DONE, Category.IN_PROGRESS)[i % 3]
        body: dict[str, Any] = {"title": f"Task {i} {'urgent fix' if i % 4 == 0 else 'chore'}"}
        body["status_id"] = str(statuses[column])
        if i % 5 == 1:
            body["assignee_id"] = str(w.member.id)
            body["priority"] = "high"
        if i >= 6 and i % 3 == 0:
            body["before"] = made[0]["id"]  # on top of the todo column
        made.append(await api.create(w.owner, w.project, **body))
    return made


async def test_get_answers_the_task_with_its_etag_and_profiles(api: Api, w: World) -> None:
    task = await api.create(w.owner, w.project, assignee_id=str(w.member.id))

    response = await api.get(w.viewer, f"/tasks/{task['id']}")

    assert response.status_code == 200, response.text
    assert response.json() == task
    assert response.headers["ETag"] == '"1"'
    assert response.json()["assignee"]["display_name"] == w.member.name


async def test_tasks_of_a_workspace_one_is_not_in_are_not_found(
    api: Api,
    w: World,
    seed: Seed,
) -> None:
    task = await api.create(w.owner, w.project)
    elsewhere = await seed.workspace(w.outsider)
    foreign = await seed.project(elsewhere, "FOR")
    foreign_task = await api.create(w.outsider, foreign)

    for user, url in (
        (w.outsider, f"/tasks/{task['id']}"),
        (w.outsider, w.tasks_url),
        (w.member, f"/tasks/{foreign_task['id']}"),
        (w.member, f"/projects/{foreign.id}/tasks"),
        (w.member, f"/tasks/{w.project.todo}"),
    ):
        assert_problem(await api.get(user, url), 404, "not-found")
    assert_problem(
        await api.post(w.member, f"/projects/{foreign.id}/tasks", {"title": "x"}), 404, "not-found"
    )


async def test_a_removed_member_no_longer_reads(
    api: Api,
    w: World,
    app: FastAPI,
    seed: Seed,
) -> None:
    task = await api.create(w.member, w.project)
    await seed.member(w.workspace_id, w.viewer, Role.VIEWER, removed=True, version=2)
    # What the replica's consumer does after applying member.removed.
    app.state.directory.forget_member(w.workspace_id, w.viewer.id)

    assert_problem(await api.get(w.viewer, f"/tasks/{task['id']}"), 404, "not-found")


async def test_deleted_tasks_are_hidden_everywhere(api: Api, w: World, database_url: str) -> None:
    kept = await api.create(w.owner, w.project, assignee_id=str(w.owner.id))
    gone = await api.create(w.owner, w.project, assignee_id=str(w.owner.id))
    await fetch(database_url, "UPDATE tasks SET deleted = true WHERE id = $1", gone["id"])

    assert_problem(await api.get(w.owner, f"/tasks/{gone['id']}"), 404, "not-found")
    for order in ("board", "created", "-created", "updated", "-updated"):
        listed = await api.walk(w.owner, w.tasks_url, order=order, archived="all")
        assert [t["id"] for t in listed] == [kept["id"]]
    assert [t["id"] for t in await api.walk(w.owner, "/me/tasks")] == [kept["id"]]


@pytest.mark.parametrize("limit", [1, 2, 5, 200])
async def test_every_order_walks_every_task_exactly_once(api: Api, w: World, limit: int) -> None:
    made = await filled(api, w)
    await fetch_archive(api, w, made[2])
    live = [t for t in made if t["id"] != made[2]["id"]]

    board = await api.walk(w.viewer, w.tasks_url, limit=limit)
    assert [t["id"] for t in board] == [
        t["id"] for t in sorted(live, key=lambda t: board_key(w, t))
    ]
    created = await api.walk(w.viewer, w.tasks_url, order="created", limit=limit)
    assert [t["id"] for t in created] == [t["id"] for t in live]
    newest = await api.walk(w.viewer, w.tasks_url, order="-created", limit=limit)
    assert [t["id"] for t in newest] == [t["id"] for t in reversed(live)]
    for order in ("updated", "-updated"):
        walked = await api.walk(w.viewer, w.tasks_url, order=order, limit=limit)
        stamps = [(t["updated_at"], t["id"]) for t in walked]
        assert stamps == sorted(stamps, reverse=order.startswith("-"))
        assert sorted(t["id"] for t in walked) == sorted(t["id"] for t in live)


async def fetch_archive(api: Api, w: World, task: dict[str, Any]) -> None:
    response = await api.post(w.owner, f"/tasks/{task['id']}/archive", {})
    assert response.status_code == 200, response.text


async def test_filters_narrow_every_order(api: Api, w: World) -> None:
    made = await filled(api, w)
    await fetch_archive(api, w, made[1])
    live = [t for t in made if t["id"] != made[1]["id"]]
    cases: list[tuple[dict[str, Any], list[dict[str, Any]]]] = [
        ({"status_id": w.project.done}, [t for t in live if t["category"] == "done"]),
        ({"category": "in_progress"}, [t for t in live if t["category"] == "in_progress"]),
        ({"assignee_id": w.member.id}, [t for t in live if t["assignee"]]),
        ({"priority": "high"}, [t for t in live if t["priority"] == "high"]),
        ({"q": "URGENT"}, [t for t in live if "urgent" in t["title"]]),
        ({"q": "%"}, []),
        ({"archived": "true"}, [made[1]]),
        ({"archived": "all"}, made),
        (
            {"category": "done", "q": "chore"},
            [t for t in live if t["category"] == "done" and "chore" in t["title"]],
        ),
    ]
    for params, expected in cases:
        for order in ("board", "created", "-updated"):
            found = await api.walk(w.member, w.tasks_url, order=order, limit=2, **params)
            assert sorted(t["id"] for t in found) == sorted(t["id"] for t in expected), params
    assert (await api.page(w.member, w.tasks_url, assignee_id=w.owner.id))["items"] == []


async def test_my_tasks_are_my_live_assignments_in_every_project_i_can_see(
    api: Api, w: World, seed: Seed, database_url: str
) -> None:
    other = await seed.project(w.workspace_id, "OPS")
    mine = [
        await api.create(w.owner, project, assignee_id=str(w.member.id))
        for project in (w.project, other, w.project)
    ]
    archived = await api.create(w.owner, w.project, assignee_id=str(w.member.id))
    await fetch_archive(api, w, archived)
    await api.create(w.owner, w.project, assignee_id=str(w.owner.id))
    await api.create(w.owner, w.project)
    # A project deleted since, and a workspace left since, hide their tasks.
    gone = await seed.project(w.workspace_id, "OLD")
    await api.create(w.owner, gone, assignee_id=str(w.member.id))
    await fetch(database_url, "UPDATE projects SET deleted = true WHERE id = $1", gone.id)
    left = await seed.workspace(w.outsider, (w.member, Role.MEMBER))
    await api.create(w.outsider, await seed.project(left, "LFT"), assignee_id=str(w.member.id))
    await seed.member(left, w.member, Role.MEMBER, removed=True, version=2)

    walked = await api.walk(w.member, "/me/tasks", limit=1)

    assert [t["id"] for t in walked] == [t["id"] for t in mine]
    assert {t["key"] for t in walked} == {"WEB-1", "OPS-1", "WEB-2"}
    assert (await api.page(w.viewer, "/me/tasks"))["items"] == []
