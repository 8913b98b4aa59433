"""Projects: creation with the default board in one event, reads, edits under If-Match."""

from __future__ import annotations

from uuid import UUID

import httpx

from taskwire.common.events.projects import ProjectState
from taskwire.testkit.users import Users
from tests.integration.projects.helpers import Api, row_counts
from tests.support.bus import Bus
from tests.support.problems import assert_problem
from tests.support.sql import fetch

DEFAULT_BOARD = [
    ("Todo", "todo", 0),
    ("In Progress", "in_progress", 1),
    ("In Review", "in_review", 2),
    ("Issue", "issue", 3),
    ("Done", "done", 4),
]
ZERO = {"total": 0, "todo": 0, "in_progress": 0, "in_review": 0, "issue": 0, "done": 0}


async def test_create_answers_the_project_with_its_board_and_emits_one_event(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    await bus.drain()

    response = await client.post(
        f"/api/v1/workspaces/{workspace['id']}/projects",
        json={"key": "WEB", "name": "Website", "description": "The public site"},
        headers=ada.auth,
    )
    assert response.status_code == 201, response.text
    project = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/api/v1/projects/{project['id']}"
    assert (project["key"], project["name"], project["version"]) == ("WEB", "Website", 1)
    assert project["counts"] == ZERO | {"archived": 0}
    assert project["derived_status"] == "todo"
    assert project["archived_at"] is None
    board = [(s["name"], s["category"], s["position"]) for s in project["statuses"]]
    assert board == DEFAULT_BOARD

    message = await bus.tap.next_message()
    assert message.routing_key == "project.created"
    assert message.headers["traceparent"]
    assert message.content_type == "application/json"
    event = bus.decode(message)
    assert event.subject.id == UUID(project["id"])
    assert event.subject.version == 1
    assert (event.workspace_id, event.project_id) == (UUID(workspace["id"]), event.subject.id)
    state = event.data_as(ProjectState)
    assert state.statuses is not None
    assert [(s.name, s.category, s.position) for s in state.statuses] == DEFAULT_BOARD
    assert [str(s.id) for s in state.statuses] == [s["id"] for s in project["statuses"]]
    await bus.quiet()


async def test_a_taken_key_answers_409_with_nothing_written_or_published(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus, database_url: str
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    await api.project(ada, workspace, "WEB")
    await bus.drain()
    before = await row_counts(database_url)

    clash = await client.post(
        f"/api/v1/workspaces/{workspace['id']}/projects",
        json={"key": "WEB", "name": "Again"},
        headers=ada.auth,
    )
    assert_problem(clash, 409, "conflict")
    await bus.quiet()
    assert await row_counts(database_url) == before
    rows = await fetch(
        database_url, "SELECT count(*) FROM outbox WHERE routing_key = 'project.created'"
    )
    assert rows[0][0] == 1


async def test_keys_are_per_workspace_and_freed_by_deletion(users: Users, api: Api) -> None:
    ada = users("ada")
    first, second = await api.workspace(ada, "One"), await api.workspace(ada, "Two")
    project = await api.project(ada, first, "WEB")
    await api.project(ada, second, "WEB")
    assert (
        await api.client.delete(f"/api/v1/projects/{project['id']}", headers=ada.auth)
    ).status_code == 204
    again = await api.project(ada, first, "WEB")
    assert again["id"] != project["id"]


async def test_bad_keys_and_low_roles_are_refused(
    client: httpx.AsyncClient, users: Users, api: Api, database_url: str
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, bob, role="member")
    url = f"/api/v1/workspaces/{workspace['id']}/projects"
    before = await row_counts(database_url)
    for key in ("W", "web", "1WEB", "WEB-1", "ABCDEFGHIJK"):
        bad = await client.post(url, json={"key": key, "name": "x"}, headers=ada.auth)
        assert_problem(bad, 422, "validation")
    member = await client.post(url, json={"key": "WEB", "name": "x"}, headers=bob.auth)
    assert_problem(member, 403, "forbidden")
    assert await row_counts(database_url) == before


async def test_get_answers_the_project_with_its_board_to_members_only(
    client: httpx.AsyncClient, users: Users, api: Api
) -> None:
    ada, viewer = users("ada"), users("viewer")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, viewer, role="viewer")
    project = await api.project(ada, workspace)

    response = await client.get(f"/api/v1/projects/{project['id']}", headers=viewer.auth)
    assert response.status_code == 200
    assert response.json() == project
    assert response.headers["etag"] == '"1"'
    hidden = await client.get(f"/api/v1/projects/{project['id']}", headers=users().auth)
    assert_problem(hidden, 404, "not-found")


async def test_patch_changes_fields_and_emits_what_changed(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus
) -> None:
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    await bus.drain()
    url = f"/api/v1/projects/{project['id']}"

    response = await client.patch(
        url, json={"name": "Site", "key": "SITE"}, headers=ada.auth | {"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    body = response.json()
    assert (body["name"], body["key"], body["version"]) == ("Site", "SITE", 2)
    assert len(body["statuses"]) == 5
    (event,) = await bus.take(1)
    assert event.type == "project.updated"
    assert event.subject.version == 2
    assert event.changes == {"name": ["Project WEB", "Site"], "key": ["WEB", "SITE"]}
    assert event.data_as(ProjectState).statuses is None

    cleared = await client.patch(url, json={"description": None}, headers=ada.auth)
    assert cleared.json()["version"] == 2, "an unchanged description is no change"
    blind = await client.patch(url, json={"description": "New"}, headers=ada.auth)
    assert blind.json()["version"] == 3, "without If-Match the write proceeds"
    await bus.take(1)
    await bus.quiet()


async def test_patch_refuses_stale_versions_taken_keys_and_members(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus, database_url: str
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, bob, role="member")
    project = await api.project(ada, workspace, "WEB")
    await api.project(ada, workspace, "APP")
    await bus.drain()
    before = await row_counts(database_url)
    url = f"/api/v1/projects/{project['id']}"

    stale = await client.patch(url, json={"name": "x"}, headers=ada.auth | {"If-Match": '"2"'})
    body = assert_problem(stale, 412, "precondition-failed")
    assert body["current_version"] == 1
    taken = await client.patch(url, json={"key": "APP"}, headers=ada.auth)
    assert_problem(taken, 409, "conflict")
    member = await client.patch(url, json={"name": "x"}, headers=bob.auth)
    assert_problem(member, 403, "forbidden")
    null_name = await client.patch(url, json={"name": None}, headers=ada.auth)
    assert_problem(null_name, 422, "validation")
    await bus.quiet()
    assert await row_counts(database_url) == before
