"""Creating a task: defaults, placement, the event with the full state, Location and ETag."""

from __future__ import annotations

from decimal import Decimal

from taskwire.common.events.projects import Category
from tests.integration.tasks.helpers import Api, World, counts
from tests.support.amqp import EventTap
from tests.support.bus import Bus
from tests.support.problems import assert_problem
from tests.support.sql import fetch


async def test_a_task_gets_the_defaults_the_next_number_and_the_end_of_its_column(
    api: Api, w: World, database_url: str
) -> None:
    response = await api.post(w.member, w.tasks_url, {"title": "  Write the docs  "})

    assert response.status_code == 201, response.text
    task = response.json()
    assert response.headers["Location"] == f"/api/v1/tasks/{task['id']}"
    assert response.headers["ETag"] == '"1"'
    assert task["title"] == "Write the docs"
    assert (task["number"], task["key"], task["version"]) == (1, "WEB-1", 1)
    assert (task["status_id"], task["category"]) == (str(w.project.todo), "todo")
    assert (task["priority"], task["description"], task["due_date"]) == ("none", "", None)
    assert task["assignee"] is None
    assert task["reporter"] == {
        "id": str(w.member.id),
        "email": w.member.email,
        "display_name": w.member.name,
        "avatar_url": None,
    }
    second = await api.create(w.member, w.project)
    third = await api.create(w.owner, w.project, status_id=str(w.project.done))
    assert [second["number"], third["number"]] == [2, 3]
    assert Decimal(task["position"]) < Decimal(second["position"])
    # A column's end is past every rank given in the project, whatever the column.
    assert Decimal(third["position"]) > Decimal(second["position"])
    rows = await fetch(database_url, "SELECT number, position::text FROM tasks ORDER BY number")
    assert [(r[0], r[1]) for r in rows] == [
        (t["number"], t["position"]) for t in (task, second, third)
    ]


async def test_the_created_event_carries_the_full_state(
    api: Api, w: World, tap: EventTap, database_url: str
) -> None:
    body = {
        "title": "Ship it",
        "description": "all of it",
        "status_id": str(w.project.statuses[Category.IN_PROGRESS]),
        "priority": "high",
        "assignee_id": str(w.owner.id),
        "due_date": "2026-12-24",
    }
    task = await api.create(w.member, w.project, **body)
    assert task["assignee"]["email"] == w.owner.email

    event = await Bus(tap, database_url).next()

    assert event.type == "task.created"
    assert event.subject.model_dump() == {"kind": "task", "id": task["id"], "version": 1} | {
        "id": event.subject.id
    }
    assert str(event.subject.id) == task["id"]
    assert (event.actor_id, event.workspace_id, event.project_id) == (
        w.member.id,
        w.workspace_id,
        w.project.id,
    )
    data = event.data
    assert data["number"] == task["number"] == 1
    assert data["position"] == task["position"]
    assert data["category"] == "in_progress"
    assert data["version"] == 1
    assert data["reporter_id"] == str(w.member.id)
    assert data["assignee_id"] == str(w.owner.id)
    assert data["deleted"] is False
    for name in ("title", "description", "status_id", "priority", "due_date"):
        assert data[name] == body[name]
    assert event.changes == {}


async def test_a_task_placed_between_two_others_goes_between_them(api: Api, w: World) -> None:
    first, second = await api.create(w.member, w.project), await api.create(w.member, w.project)

    between = await api.create(w.member, w.project, after=first["id"], before=second["id"])
    on_top = await api.create(w.member, w.project, before=first["id"])
    below_first = await api.create(w.member, w.project, after=first["id"])
    last = await api.create(w.member, w.project, after=second["id"])

    order = sorted(
        (first, second, between, on_top, below_first, last), key=lambda t: Decimal(t["position"])
    )
    assert [t["number"] for t in order] == [
        on_top["number"],
        first["number"],
        below_first["number"],
        between["number"],
        second["number"],
        last["number"],
    ]
    # The end of the column stays past every rank: a plain create lands below `last`.
    tail = await api.create(w.member, w.project)
    assert Decimal(tail["position"]) > Decimal(last["position"])


async def test_the_write_rechecks_what_the_cached_directory_allowed(
    api: Api, w: World, database_url: str, tap: EventTap
) -> None:
    """The replica changed and the directory has not heard yet: the statement's own guard
    refuses, the request decides again on fresh entries, and a refusal writes nothing."""
    await api.create(w.member, w.project, assignee_id=str(w.viewer.id))  # warms the directory
    bus = Bus(tap, database_url)
    await bus.drain()

    await fetch(database_url, "UPDATE members SET removed = true WHERE user_id = $1", w.viewer.id)
    to_viewer = {"title": "t", "assignee_id": str(w.viewer.id)}
    assert_problem(await api.post(w.member, w.tasks_url, to_viewer), 422, "unprocessable")
    await fetch(database_url, "UPDATE statuses SET deleted = true WHERE id = $1", w.project.done)
    into_done = {"title": "t", "status_id": str(w.project.done)}
    assert_problem(await api.post(w.member, w.tasks_url, into_done), 422, "unprocessable")
    await fetch(database_url, "UPDATE members SET role = 'viewer' WHERE user_id = $1", w.member.id)
    assert_problem(await api.post(w.member, w.tasks_url, {"title": "t"}), 403, "forbidden")

    assert await counts(database_url) == {"tasks": 1, "outbox": 1, "idempotency_keys": 0}
    await bus.quiet()
    # A status whose category changed is written with the new one, in the row and the event.
    todo = w.project.todo
    await fetch(database_url, "UPDATE statuses SET category = 'issue' WHERE id = $1", todo)
    task = await api.create(w.owner, w.project)
    assert task["category"] == "issue"
    assert (await bus.next()).data["category"] == "issue"
