"""Deleting a status: its tasks go to `move_to`, the board closes the gap, one status remains."""

from __future__ import annotations

from uuid import UUID

import httpx

from taskwire.common.events.projects import StatusDeletedState
from taskwire.testkit.users import Users
from tests.integration.projects.helpers import Api, row_counts
from tests.support.bus import Bus
from tests.support.problems import assert_problem
from tests.support.sql import fetch


async def test_delete_moves_to_another_status_and_closes_the_gap(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus, database_url: str
) -> None:
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    todo, in_progress, review = project["statuses"][:3]
    await bus.drain()

    response = await client.delete(
        f"/api/v1/statuses/{in_progress['id']}",
        params={"move_to": todo["id"]},
        headers=ada.auth | {"If-Match": '"1"'},
    )
    assert response.status_code == 204, response.text
    deleted, *shifted = await bus.take(4)
    await bus.quiet()
    assert deleted.type == "status.deleted"
    assert deleted.subject.version == 2
    state = deleted.data_as(StatusDeletedState)
    assert state.move_to == UUID(todo["id"])
    assert state.deleted is True
    assert [(e.type, e.changes) for e in shifted] == [
        ("status.updated", {"position": [2, 1]}),
        ("status.updated", {"position": [3, 2]}),
        ("status.updated", {"position": [4, 3]}),
    ]
    board = await client.get(f"/api/v1/projects/{project['id']}/statuses", headers=ada.auth)
    assert [s["name"] for s in board.json()["items"]] == ["Todo", "In Review", "Issue", "Done"]
    assert [s["position"] for s in board.json()["items"]] == [0, 1, 2, 3]
    rows = await fetch(
        database_url, "SELECT deleted, version FROM statuses WHERE id = $1", UUID(in_progress["id"])
    )
    assert tuple(rows[0]) == (True, 2), "the deleted status stays as a tombstone"

    to_deleted = await client.delete(
        f"/api/v1/statuses/{review['id']}", params={"move_to": in_progress["id"]}, headers=ada.auth
    )
    assert_problem(to_deleted, 422, "unprocessable")


async def test_move_to_must_be_another_live_status_of_the_same_project(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus, database_url: str
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, bob, role="member")
    project = await api.project(ada, workspace, "ONE")
    other = await api.project(ada, workspace, "TWO")
    todo, done = project["statuses"][0], project["statuses"][4]
    await bus.drain()
    before = await row_counts(database_url)
    url = f"/api/v1/statuses/{todo['id']}"

    missing = await client.delete(url, headers=ada.auth)
    assert_problem(missing, 422, "validation")
    for move_to in (todo["id"], other["statuses"][1]["id"], str(UUID(int=7))):
        refused = await client.delete(url, params={"move_to": move_to}, headers=ada.auth)
        assert_problem(refused, 422, "unprocessable")
    not_a_uuid = await client.delete(url, params={"move_to": "done"}, headers=ada.auth)
    assert_problem(not_a_uuid, 422, "validation")
    member = await client.delete(url, params={"move_to": done["id"]}, headers=bob.auth)
    assert_problem(member, 403, "forbidden")
    stale = await client.delete(
        url, params={"move_to": done["id"]}, headers=ada.auth | {"If-Match": '"3"'}
    )
    assert_problem(stale, 412, "precondition-failed")
    await bus.quiet()
    assert await row_counts(database_url) == before


async def test_the_last_status_cannot_be_deleted(
    client: httpx.AsyncClient, users: Users, api: Api
) -> None:
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    ids = [s["id"] for s in project["statuses"]]
    for status_id in ids[:-1]:
        gone = await client.delete(
            f"/api/v1/statuses/{status_id}", params={"move_to": ids[-1]}, headers=ada.auth
        )
        assert gone.status_code == 204, gone.text
    last = await client.delete(
        f"/api/v1/statuses/{ids[-1]}", params={"move_to": ids[0]}, headers=ada.auth
    )
    assert_problem(last, 409, "conflict")
    board = await client.get(f"/api/v1/projects/{project['id']}/statuses", headers=ada.auth)
    assert [(s["name"], s["position"]) for s in board.json()["items"]] == [("Done", 0)]
