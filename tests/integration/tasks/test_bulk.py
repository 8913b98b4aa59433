"""Bulk create: an import of up to bulk_max_tasks tasks, all or nothing, one event each."""

from __future__ import annotations

from decimal import Decimal

import pytest

from taskwire.common.events.projects import Category
from taskwire.testkit.seed import Seed
from tests.integration.tasks.helpers import Api, World, counts
from tests.support.amqp import EventTap
from tests.support.bus import Bus
from tests.support.problems import assert_problem


@pytest.fixture
def projects_url(stub_projects_service: str) -> str:
    """The read-through finds nothing the replica was not seeded with."""
    return stub_projects_service


async def test_an_import_creates_every_task_in_order_with_an_event_each(
    api: Api, w: World, tap: EventTap, database_url: str
) -> None:
    await api.create(w.member, w.project)  # number 1 is taken before the import
    done = str(w.project.statuses[Category.DONE])
    items = [
        {"title": f"imported {i}", "status_id": done if i % 3 == 0 else None}
        | ({"assignee_id": str(w.viewer.id)} if i % 2 else {})
        for i in range(50)
    ]
    items = [{k: v for k, v in item.items() if v is not None} for item in items]

    created = await api.create_many(w.member, w.project, items)

    assert [t["title"] for t in created] == [f"imported {i}" for i in range(50)]
    assert [t["number"] for t in created] == list(range(2, 52))
    assert [t["key"] for t in created[:2]] == ["WEB-2", "WEB-3"]
    assert [t["category"] for t in created[:2]] == ["done", "todo"]
    assert created[1]["assignee"]["email"] == w.viewer.email
    assert created[0]["assignee"] is None
    assert {t["reporter"]["id"] for t in created} == {str(w.member.id)}
    # As stored: what a later read answers is what the import answered.
    for task in (created[0], created[-1]):
        assert (await api.page(w.member, f"/tasks/{task['id']}")) == task
    assert all(t["position"].isdigit() for t in created)  # ends of columns: whole ranks
    ranks = [Decimal(t["position"]) for t in created]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == 50
    bus = Bus(tap, database_url)
    events = await bus.take(51)
    by_id = {str(e.subject.id): e for e in events}
    for task in created:
        event = by_id[task["id"]]
        assert event.type == "task.created"
        assert (event.data["number"], event.data["position"]) == (task["number"], task["position"])
        assert event.data["category"] == task["category"]
    assert (await api.create(w.member, w.project))["number"] == 52


async def test_an_import_with_one_bad_task_writes_nothing(
    api: Api, w: World, seed: Seed, tap: EventTap, database_url: str
) -> None:
    other = await seed.project(w.workspace_id, "OPS")
    good = {"title": "fine"}
    for bad, slug in (
        ({"title": "x", "status_id": str(other.todo)}, "unprocessable"),
        ({"title": "x", "assignee_id": str(w.outsider.id)}, "unprocessable"),
        ({"title": "x", "after": str(w.project.todo)}, "unprocessable"),
        ({"title": ""}, "validation"),
        ({"title": "x", "colour": "red"}, "validation"),
    ):
        response = await api.post(w.member, f"{w.tasks_url}/bulk", {"tasks": [good] * 3 + [bad]})
        assert_problem(response, 422, slug)

    assert await counts(database_url) == {"tasks": 0, "outbox": 0, "idempotency_keys": 0}
    await Bus(tap, database_url).quiet()


async def test_an_import_is_limited_in_size_and_needs_a_writer(
    api: Api, w: World, database_url: str
) -> None:
    url = f"{w.tasks_url}/bulk"

    assert_problem(await api.post(w.member, url, {"tasks": []}), 422, "validation")
    too_many = {"tasks": [{"title": "t"}] * 501}
    assert_problem(await api.post(w.member, url, too_many), 422, "unprocessable")
    assert_problem(await api.post(w.viewer, url, {"tasks": [{"title": "t"}]}), 403, "forbidden")
    assert_problem(await api.post(w.outsider, url, {"tasks": [{"title": "t"}]}), 404, "not-found")
    assert await counts(database_url) == {"tasks": 0, "outbox": 0, "idempotency_keys": 0}

    created = await api.create_many(w.member, w.project, [{"title": "t"}] * 500)
    assert len(created) == 500
