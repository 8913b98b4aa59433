"""Archive, restore and delete: idempotent archive/restore, soft delete that hides the project."""

from __future__ import annotations

import httpx

from taskwire.common.events.projects import ProjectState
from taskwire.testkit.users import Users
from tests.integration.projects.helpers import Api, row_counts
from tests.support.bus import Bus
from tests.support.problems import assert_problem


async def test_archive_then_restore_each_emit_once_and_repeat_quietly(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus
) -> None:
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    await bus.drain()
    url = f"/api/v1/projects/{project['id']}"

    archived = await client.post(f"{url}/archive", headers=ada.auth | {"If-Match": '"1"'})
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived_at"] is not None
    assert archived.headers["etag"] == '"2"'
    (event,) = await bus.take(1)
    assert event.type == "project.archived"
    assert event.subject.version == 2
    assert event.data_as(ProjectState).archived_at is not None
    assert event.changes["archived_at"][0] is None

    again = await client.post(f"{url}/archive", headers=ada.auth)
    assert again.status_code == 200
    assert again.json() == archived.json()
    await bus.quiet()

    restored = await client.post(f"{url}/restore", headers=ada.auth)
    assert restored.json()["archived_at"] is None
    assert restored.json()["version"] == 3
    (event,) = await bus.take(1)
    assert event.type == "project.restored"
    assert event.subject.version == 3
    assert (await client.post(f"{url}/restore", headers=ada.auth)).json()["version"] == 3
    await bus.quiet()


async def test_archive_refuses_members_stale_versions_and_strangers(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus, database_url: str
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, bob, role="member")
    project = await api.project(ada, workspace)
    await bus.drain()
    before = await row_counts(database_url)
    url = f"/api/v1/projects/{project['id']}"

    assert_problem(await client.post(f"{url}/archive", headers=bob.auth), 403, "forbidden")
    stale = await client.post(f"{url}/archive", headers=ada.auth | {"If-Match": '"9"'})
    assert_problem(stale, 412, "precondition-failed")
    stranger = await client.post(f"{url}/restore", headers=users().auth)
    assert_problem(stranger, 404, "not-found")
    await bus.quiet()
    assert await row_counts(database_url) == before


async def test_list_filters_by_archived(client: httpx.AsyncClient, users: Users, api: Api) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    active = await api.project(ada, workspace, "ACT")
    shelved = await api.project(ada, workspace, "OLD")
    await client.post(f"/api/v1/projects/{shelved['id']}/archive", headers=ada.auth)
    url = f"/api/v1/workspaces/{workspace['id']}/projects"

    async def keys(**params: str) -> list[str]:
        response = await client.get(url, params=params, headers=ada.auth)
        assert response.status_code == 200, response.text
        return [p["key"] for p in response.json()["items"]]

    assert await keys() == ["ACT"]
    assert await keys(archived="false") == ["ACT"]
    assert await keys(archived="true") == ["OLD"]
    assert await keys(archived="all") == [active["key"], shelved["key"]]
    bad = await client.get(url, params={"archived": "maybe"}, headers=ada.auth)
    assert_problem(bad, 422, "validation")


async def test_delete_hides_the_project_and_emits_project_deleted(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    project = await api.project(ada, workspace)
    status_id = project["statuses"][0]["id"]
    await bus.drain()
    url = f"/api/v1/projects/{project['id']}"

    deleted = await client.delete(url, headers=ada.auth | {"If-Match": '"1"'})
    assert deleted.status_code == 204
    (event,) = await bus.take(1)
    assert event.type == "project.deleted"
    assert event.subject.version == 2
    assert event.data_as(ProjectState).deleted is True

    assert_problem(await client.get(url, headers=ada.auth), 404, "not-found")
    assert_problem(await client.delete(url, headers=ada.auth), 404, "not-found")
    assert_problem(await client.get(f"{url}/statuses", headers=ada.auth), 404, "not-found")
    rename = await client.patch(
        f"/api/v1/statuses/{status_id}", json={"name": "x"}, headers=ada.auth
    )
    assert_problem(rename, 404, "not-found")
    listed = await client.get(
        f"/api/v1/workspaces/{workspace['id']}/projects",
        params={"archived": "all"},
        headers=ada.auth,
    )
    assert listed.json()["items"] == []
    await bus.quiet()


async def test_delete_refuses_members_and_stale_versions(
    client: httpx.AsyncClient, users: Users, api: Api, database_url: str
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, bob, role="member")
    project = await api.project(ada, workspace)
    before = await row_counts(database_url)
    url = f"/api/v1/projects/{project['id']}"
    assert_problem(await client.delete(url, headers=bob.auth), 403, "forbidden")
    stale = await client.delete(url, headers=ada.auth | {"If-Match": '"0"'})
    assert_problem(stale, 412, "precondition-failed")
    assert await row_counts(database_url) == before
