"""The status board: add, rename, reorder and delete, positions contiguous, one event per change."""

from __future__ import annotations

from typing import Any

import httpx

from taskwire.common.events.projects import StatusState
from taskwire.testkit.users import User, Users
from tests.integration.projects.helpers import Api, row_counts
from tests.support.bus import Bus
from tests.support.problems import assert_problem


async def _board(client: httpx.AsyncClient, user: User, project: dict[str, Any]) -> list[Any]:
    response = await client.get(f"/api/v1/projects/{project['id']}/statuses", headers=user.auth)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    assert [s["position"] for s in items] == list(range(len(items)))
    return [(s["name"], s["version"]) for s in items]


async def test_viewers_read_the_board_in_order(
    client: httpx.AsyncClient, users: Users, api: Api
) -> None:
    ada, viewer = users("ada"), users("viewer")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, viewer, role="viewer")
    project = await api.project(ada, workspace)
    names = [name for name, _ in await _board(client, viewer, project)]
    assert names == ["Todo", "In Progress", "In Review", "Issue", "Done"]
    hidden = await client.get(f"/api/v1/projects/{project['id']}/statuses", headers=users().auth)
    assert_problem(hidden, 404, "not-found")


async def test_adding_at_a_position_shifts_the_rest_and_says_so(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus
) -> None:
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    await bus.drain()
    url = f"/api/v1/projects/{project['id']}/statuses"

    response = await client.post(
        url, json={"name": "Blocked", "category": "issue", "position": 3}, headers=ada.auth
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["position"], created["version"]) == (3, 1)
    assert response.headers["etag"] == '"1"'
    assert await _board(client, ada, project) == [
        ("Todo", 1),
        ("In Progress", 1),
        ("In Review", 1),
        ("Blocked", 1),
        ("Issue", 2),
        ("Done", 2),
    ]
    events = await bus.take(3)
    await bus.quiet()
    assert [(e.type, e.data_as(StatusState).name, e.subject.version) for e in events] == [
        ("status.created", "Blocked", 1),
        ("status.updated", "Issue", 2),
        ("status.updated", "Done", 2),
    ]
    assert events[1].changes == {"position": [3, 4]}
    assert events[0].project_id == events[0].data_as(StatusState).project_id

    appended = await client.post(
        url, json={"name": "Won't do", "category": "done"}, headers=ada.auth
    )
    assert appended.json()["position"] == 6
    await bus.take(1)
    await bus.quiet()


async def test_rename_and_reorder_bump_only_what_moved(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus
) -> None:
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    done = project["statuses"][4]
    await bus.drain()
    url = f"/api/v1/statuses/{done['id']}"

    response = await client.patch(
        url, json={"name": "Shipped", "position": 1}, headers=ada.auth | {"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["position"], response.json()["version"]) == (1, 2)
    assert response.headers["etag"] == '"2"'
    assert await _board(client, ada, project) == [
        ("Todo", 1),
        ("Shipped", 2),
        ("In Progress", 2),
        ("In Review", 2),
        ("Issue", 2),
    ]
    events = await bus.take(4)
    await bus.quiet()
    by_name = {e.data_as(StatusState).name: e for e in events}
    assert {e.type for e in events} == {"status.updated"}
    assert set(by_name) == {"Shipped", "In Progress", "In Review", "Issue"}
    assert by_name["Shipped"].changes == {"name": ["Done", "Shipped"], "position": [4, 1]}
    assert by_name["Issue"].changes == {"position": [3, 4]}
    assert {e.subject.version for e in events} == {2}, "one version per change, even name+move"

    recategorised = await client.patch(url, json={"category": "in_review"}, headers=ada.auth)
    assert (recategorised.json()["category"], recategorised.json()["version"]) == ("in_review", 3)
    (event,) = await bus.take(1)
    assert event.changes == {"category": ["done", "in_review"]}
    unchanged = await client.patch(url, json={"position": 1}, headers=ada.auth)
    assert unchanged.json()["version"] == 3
    await bus.quiet()


async def test_status_writes_refuse_members_stale_versions_and_bad_bodies(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus, database_url: str
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, bob, role="member")
    project = await api.project(ada, workspace)
    todo = project["statuses"][0]
    await bus.drain()
    before = await row_counts(database_url)
    url = f"/api/v1/statuses/{todo['id']}"
    create = f"/api/v1/projects/{project['id']}/statuses"

    new = {"name": "X", "category": "todo"}
    assert_problem(await client.post(create, json=new, headers=bob.auth), 403, "forbidden")
    assert_problem(await client.patch(url, json={"name": "X"}, headers=bob.auth), 403, "forbidden")
    stale = await client.patch(url, json={"name": "X"}, headers=ada.auth | {"If-Match": '"5"'})
    assert_problem(stale, 412, "precondition-failed")
    wrong_category = await client.post(
        create, json={"name": "X", "category": "later"}, headers=ada.auth
    )
    assert_problem(wrong_category, 422, "validation")
    negative = await client.patch(url, json={"position": -1}, headers=ada.auth)
    assert_problem(negative, 422, "validation")
    await bus.quiet()
    assert await row_counts(database_url) == before
