"""Editing a task (PATCH): each field, the changes its event names, versions and If-Match.

Also who may change a task at all, on every change route. The replica is seeded; whom it lacks,
the (stub) projects service does not know either.
"""

from __future__ import annotations

from typing import Any

import pytest

from taskwire.common.events.projects import Role
from taskwire.common.ids import new_id
from taskwire.testkit.seed import Seed
from taskwire.testkit.users import Users
from tests.integration.tasks.changing import ROUTES, Changes, assert_carries, task_row
from tests.integration.tasks.helpers import Api, World, counts
from tests.support.bus import Bus
from tests.support.problems import assert_problem

EDITS: list[tuple[str, Any]] = [
    ("title", "Renamed"),
    ("description", "Some words\non two lines"),
    ("priority", "urgent"),
    ("due_date", "2026-12-24"),
]


@pytest.fixture
def projects_url(stub_projects_service: str) -> str:
    """The read-through finds nothing the replica was not seeded with."""
    return stub_projects_service


@pytest.mark.parametrize(("field", "value"), EDITS)
async def test_each_field_changes_alone_with_the_next_version_and_its_event(
    w: World, api: Api, changes: Changes, bus: Bus, database_url: str, field: str, value: Any
) -> None:
    task = await api.create(w.owner, w.project, title="Draft")
    await bus.drain()

    edited = await changes.patch(w.member, task["id"], **{field: value})

    assert (edited[field], edited["version"]) == (value, 2)
    assert edited["updated_at"] > task["updated_at"]
    unchanged = {k: v for k, v in task.items() if k not in (field, "version", "updated_at")}
    assert {k: edited[k] for k in unchanged} == unchanged
    shown = await api.get(w.viewer, f"/tasks/{task['id']}")
    assert (shown.json(), shown.headers["ETag"]) == (edited, '"2"')
    event = await bus.next()
    assert_carries(event, "task.updated", edited)
    assert event.actor_id == w.member.id
    assert event.changes == {field: [task[field], value]}
    assert (await task_row(database_url, task))["version"] == 2


async def test_assigning_shows_the_profile_and_null_unassigns(
    w: World, api: Api, changes: Changes, bus: Bus
) -> None:
    task = await api.create(w.owner, w.project)
    await bus.drain()

    assigned = await changes.patch(w.owner, task["id"], assignee_id=str(w.viewer.id))
    unassigned = await changes.patch(w.owner, task["id"], assignee_id=None)

    assert assigned["assignee"] == {
        "id": str(w.viewer.id),
        "email": w.viewer.email,
        "display_name": w.viewer.name,
        "avatar_url": None,
    }
    assert (unassigned["assignee"], unassigned["version"]) == (None, 3)
    first, second = await bus.take(2)
    assert_carries(first, "task.updated", assigned)
    assert_carries(second, "task.updated", unassigned)
    assert first.changes == {"assignee_id": [None, str(w.viewer.id)]}
    assert second.changes == {"assignee_id": [str(w.viewer.id), None]}


async def test_several_fields_at_once_name_only_those_that_really_change(
    w: World, api: Api, changes: Changes, bus: Bus
) -> None:
    task = await api.create(w.owner, w.project, title="Same", priority="low")
    await bus.drain()

    edited = await changes.patch(
        w.member, task["id"], title="Same", priority="high", description="new"
    )

    assert edited["version"] == 2
    event = await bus.next()
    assert event.changes == {"priority": ["low", "high"], "description": ["", "new"]}


async def test_a_patch_that_changes_nothing_answers_the_task_with_no_version_and_no_event(
    w: World, api: Api, changes: Changes, bus: Bus, database_url: str
) -> None:
    task = await api.create(w.owner, w.project, title="Same", priority="low")
    await bus.drain()
    before = await counts(database_url)

    same = await changes.patch(w.member, task["id"], title=" Same ", priority="low")

    assert same == task
    assert await counts(database_url) == before
    await bus.quiet()


async def test_if_match_the_current_version_writes_and_a_stale_one_answers_412(
    w: World, api: Api, changes: Changes, bus: Bus, database_url: str
) -> None:
    task = await api.create(w.owner, w.project, title="Draft")

    current = await changes.send(w.member, "update", task["id"], {"title": "One"}, '"1"')
    stale = await changes.send(w.member, "update", task["id"], {"title": "Two"}, '"1"')

    assert current.status_code == 200, current.text
    assert current.headers["ETag"] == '"2"'
    assert assert_problem(stale, 412, "precondition-failed")["current_version"] == 2
    await bus.drain()
    assert [e.type for e in bus.log] == ["task.created", "task.updated"]
    row = await task_row(database_url, task)
    assert (row["title"], row["version"]) == ("One", 2)


@pytest.mark.parametrize(
    "body",
    [
        {"title": None},
        {"title": "   "},
        {"title": "x" * 501},
        {"priority": "whenever"},
        {"due_date": "tomorrow"},
        {"assignee_id": "not-a-uuid"},
        {"status_id": None},
        {},
    ],
)
async def test_a_bad_body_answers_422_and_writes_nothing(
    w: World, api: Api, changes: Changes, database_url: str, body: dict[str, Any]
) -> None:
    task = await api.create(w.owner, w.project)
    before = await counts(database_url)

    response = await changes.send(w.member, "update", task["id"], body)

    assert_problem(response, 422, "validation")
    assert await counts(database_url) == before


async def test_assigning_to_someone_not_a_live_member_answers_422_and_writes_nothing(
    w: World, api: Api, changes: Changes, seed: Seed, users: Users, database_url: str
) -> None:
    gone = users("gus")
    await seed.member(w.workspace_id, gone, Role.MEMBER, removed=True)
    task = await api.create(w.owner, w.project)
    before = await counts(database_url)

    for stranger in (gone, w.outsider):
        body = {"assignee_id": str(stranger.id)}
        response = await changes.send(w.member, "update", task["id"], body)
        assert_problem(response, 422, "unprocessable")
    assert await counts(database_url) == before


@pytest.mark.parametrize("route", ROUTES)
async def test_only_writers_of_the_task_s_workspace_change_it_and_refusals_write_nothing(
    w: World, api: Api, changes: Changes, bus: Bus, database_url: str, route: str
) -> None:
    task = await api.create(w.owner, w.project)
    gone = await api.create(w.owner, w.project)
    assert (await changes.send(w.owner, "delete", gone["id"])).status_code == 204
    await bus.drain()
    before = await counts(database_url)

    viewer = await changes.send(w.viewer, route, task["id"])
    outsider = await changes.send(w.outsider, route, task["id"])
    unknown = await changes.send(w.member, route, new_id())
    deleted = await changes.send(w.member, route, gone["id"])

    assert_problem(viewer, 403, "forbidden")
    for response in (outsider, unknown, deleted):
        assert_problem(response, 404, "not-found")
    assert await counts(database_url) == before
    await bus.quiet()
