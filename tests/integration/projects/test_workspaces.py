"""Workspaces: creation (owner from the token), my list, reads, owner-only changes."""

from __future__ import annotations

from uuid import UUID

import httpx

from taskwire.common.events.projects import MemberState, WorkspaceState
from taskwire.testkit.users import Users
from tests.integration.projects.helpers import Api, row_counts
from tests.support.bus import Bus
from tests.support.problems import assert_problem
from tests.support.sql import fetch


async def test_create_makes_the_caller_owner_and_emits_both_events(
    client: httpx.AsyncClient, users: Users, bus: Bus
) -> None:
    ada = users("ada")
    response = await client.post("/api/v1/workspaces", json={"name": "Acme Corp"}, headers=ada.auth)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["slug"] == "acme-corp"
    assert body["role"] == "owner"
    assert body["version"] == 1
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/api/v1/workspaces/{body['id']}"

    created, added = await bus.take(2)
    await bus.quiet()
    assert created.type == "workspace.created"
    assert created.subject.id == UUID(body["id"])
    assert created.subject.version == 1
    assert created.data_as(WorkspaceState).slug == "acme-corp"
    assert added.type == "member.added"
    member = added.data_as(MemberState)
    assert (member.user_id, member.role, member.email) == (ada.id, "owner", ada.email)
    assert member.display_name == "Ada"
    assert added.subject.id == ada.id
    assert added.workspace_id == UUID(body["id"])
    assert added.actor_id == ada.id


async def test_a_taken_slug_answers_409_and_writes_nothing(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus, database_url: str
) -> None:
    ada = users("ada")
    await api.workspace(ada, "Acme", slug="acme")
    await bus.drain()
    before = await row_counts(database_url)

    response = await client.post(
        "/api/v1/workspaces", json={"name": "Other", "slug": "acme"}, headers=users("bob").auth
    )
    assert_problem(response, 409, "conflict")
    await bus.quiet()
    assert await row_counts(database_url) == before


async def test_a_derived_slug_that_is_taken_gets_a_suffix(users: Users, api: Api) -> None:
    first = await api.workspace(users("ada"), "Acme")
    second = await api.workspace(users("bob"), "Acme")
    assert first["slug"] == "acme"
    assert second["slug"].startswith("acme-")
    assert len(second["slug"]) == len("acme-") + 6


async def test_list_shows_only_my_workspaces_with_my_role_across_pages(
    client: httpx.AsyncClient, users: Users, api: Api
) -> None:
    ada, bob = users("ada"), users("bob")
    mine = [await api.workspace(ada, f"Ada {i}") for i in range(5)]
    shared = await api.workspace(bob, "Bob's")
    await api.member(bob, shared, ada, role="viewer")

    seen: list[dict[str, object]] = []
    cursor: str | None = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        response = await client.get("/api/v1/workspaces", params=params, headers=ada.auth)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [w["id"] for w in seen] == sorted(w["id"] for w in [*mine, shared])
    roles = {w["id"]: w["role"] for w in seen}
    assert roles[shared["id"]] == "viewer"
    assert {roles[w["id"]] for w in mine} == {"owner"}


async def test_a_bad_cursor_answers_400(client: httpx.AsyncClient, users: Users) -> None:
    response = await client.get(
        "/api/v1/workspaces", params={"cursor": "not*a*cursor"}, headers=users().auth
    )
    assert_problem(response, 400, "bad-request")


async def test_get_answers_members_and_hides_it_from_others(
    client: httpx.AsyncClient, users: Users, api: Api
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    response = await client.get(f"/api/v1/workspaces/{workspace['id']}", headers=ada.auth)
    assert response.status_code == 200
    assert response.json() == workspace
    assert response.headers["etag"] == '"1"'
    stranger = await client.get(f"/api/v1/workspaces/{workspace['id']}", headers=users().auth)
    assert_problem(stranger, 404, "not-found")


async def test_owner_renames_with_an_event_of_the_change(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada, "Acme")
    await bus.drain()
    url = f"/api/v1/workspaces/{workspace['id']}"

    response = await client.patch(
        url, json={"name": "Acme Inc", "slug": "acme-inc"}, headers=ada.auth | {"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert response.headers["etag"] == '"2"'
    (event,) = await bus.take(1)
    assert event.type == "workspace.updated"
    assert event.subject.version == 2
    assert event.changes == {"name": ["Acme", "Acme Inc"], "slug": ["acme", "acme-inc"]}

    same = await client.patch(url, json={"name": "Acme Inc"}, headers=ada.auth)
    assert same.json()["version"] == 2
    await bus.quiet()


async def test_patch_rules_stale_version_admin_and_taken_slug(
    client: httpx.AsyncClient, users: Users, api: Api, database_url: str
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace = await api.workspace(ada, "Acme")
    await api.workspace(ada, "Taken")
    await api.member(ada, workspace, bob, role="admin")
    url = f"/api/v1/workspaces/{workspace['id']}"

    stale = await client.patch(url, json={"name": "X"}, headers=ada.auth | {"If-Match": '"7"'})
    assert_problem(stale, 412, "precondition-failed")
    admin = await client.patch(url, json={"name": "X"}, headers=bob.auth)
    assert_problem(admin, 403, "forbidden")
    taken = await client.patch(url, json={"slug": "taken"}, headers=ada.auth)
    assert_problem(taken, 409, "conflict")
    rows = await fetch(
        database_url,
        "SELECT name, slug, version FROM workspaces WHERE id = $1",
        UUID(workspace["id"]),
    )
    assert tuple(rows[0]) == ("Acme", "acme", 1)
