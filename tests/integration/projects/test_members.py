"""Members: admins manage them, only owners touch the owner role, a workspace keeps an owner."""

from __future__ import annotations

from typing import Any

import httpx

from taskwire.common.events.projects import MemberState
from taskwire.common.ids import new_id
from taskwire.testkit.users import User, Users
from tests.integration.projects.helpers import Api, row_counts
from tests.support.bus import Bus
from tests.support.problems import assert_problem
from tests.support.sql import fetch


def _url(workspace: dict[str, Any], user: User | None = None) -> str:
    base = f"/api/v1/workspaces/{workspace['id']}/members"
    return f"{base}/{user.id}" if user else base


def _body(user: User, role: str = "member") -> dict[str, Any]:
    return {"user_id": str(user.id), "email": user.email, "display_name": user.name, "role": role}


async def test_an_admin_adds_a_member_who_then_sees_the_workspace(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus
) -> None:
    ada, bob, cyd = users("ada"), users("bob"), users("cyd")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, bob, role="admin")
    await bus.drain()

    response = await client.post(_url(workspace), json=_body(cyd), headers=bob.auth)
    assert response.status_code == 201, response.text
    assert response.json()["role"] == "member"
    assert response.headers["etag"] == '"1"'
    (event,) = await bus.take(1)
    assert event.type == "member.added"
    assert event.subject.id == cyd.id
    assert event.data_as(MemberState).email == cyd.email
    assert event.actor_id == bob.id
    mine = await client.get("/api/v1/workspaces", headers=cyd.auth)
    assert [(w["id"], w["role"]) for w in mine.json()["items"]] == [(workspace["id"], "member")]


async def test_adding_refuses_low_roles_owner_grants_by_admins_and_duplicates(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus, database_url: str
) -> None:
    ada, adm, mem, viewer = users("ada"), users("adm"), users("mem"), users("viewer")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, adm, role="admin")
    await api.member(ada, workspace, mem, role="member")
    await api.member(ada, workspace, viewer, role="viewer")
    await bus.drain()
    before = await row_counts(database_url)

    newcomer = users("new")
    for caller in (mem, viewer):
        refused = await client.post(_url(workspace), json=_body(newcomer), headers=caller.auth)
        assert_problem(refused, 403, "forbidden")
    owner_grant = await client.post(
        _url(workspace), json=_body(newcomer, "owner"), headers=adm.auth
    )
    assert_problem(owner_grant, 403, "forbidden")
    again = await client.post(_url(workspace), json=_body(mem), headers=ada.auth)
    assert_problem(again, 409, "conflict")
    stranger = await client.post(_url(workspace), json=_body(newcomer), headers=newcomer.auth)
    assert_problem(stranger, 404, "not-found")
    await bus.quiet()
    assert await row_counts(database_url) == before


async def test_members_list_in_pages(client: httpx.AsyncClient, users: Users, api: Api) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    others = [users(f"u{i}") for i in range(4)]
    for other in others:
        await api.member(ada, workspace, other, role="viewer")
    viewer = others[0]

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(_url(workspace), params=params, headers=viewer.auth)).json()
        seen += [m["user_id"] for m in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == sorted(str(u.id) for u in [ada, *others])
    hidden = await client.get(_url(workspace), headers=users().auth)
    assert_problem(hidden, 404, "not-found")


async def test_role_changes_and_the_owner_role_rules(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus
) -> None:
    ada, adm, bob = users("ada"), users("adm"), users("bob")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, adm, role="admin")
    await api.member(ada, workspace, bob)
    await bus.drain()

    promoted = await client.patch(_url(workspace, bob), json={"role": "admin"}, headers=adm.auth)
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["version"] == 2
    (event,) = await bus.take(1)
    assert event.type == "member.updated"
    assert event.subject.version == 2
    assert event.changes == {"role": ["member", "admin"]}

    to_owner = await client.patch(_url(workspace, bob), json={"role": "owner"}, headers=adm.auth)
    assert_problem(to_owner, 403, "forbidden")
    demote_owner = await client.patch(
        _url(workspace, ada), json={"role": "admin"}, headers=adm.auth
    )
    assert_problem(demote_owner, 403, "forbidden")
    last_owner = await client.patch(_url(workspace, ada), json={"role": "admin"}, headers=ada.auth)
    assert_problem(last_owner, 409, "conflict")
    stale = await client.patch(
        _url(workspace, bob), json={"role": "viewer"}, headers=ada.auth | {"If-Match": '"1"'}
    )
    assert_problem(stale, 412, "precondition-failed")
    await bus.quiet()

    made_owner = await client.patch(_url(workspace, bob), json={"role": "owner"}, headers=ada.auth)
    assert made_owner.json()["role"] == "owner"
    steps_down = await client.patch(_url(workspace, ada), json={"role": "admin"}, headers=ada.auth)
    assert steps_down.json()["role"] == "admin"


async def test_removal_keeps_a_tombstone_and_a_revival_continues_its_versions(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus, database_url: str
) -> None:
    ada, bob = users("ada"), users("bob")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, bob)
    await bus.drain()

    removed = await client.delete(_url(workspace, bob), headers=ada.auth)
    assert removed.status_code == 204
    (event,) = await bus.take(1)
    assert event.type == "member.removed"
    assert event.subject.version == 2
    assert event.data_as(MemberState).removed is True
    rows = await fetch(
        database_url, "SELECT removed, version FROM members WHERE user_id = $1", bob.id
    )
    assert tuple(rows[0]) == (True, 2)
    gone = await client.get(f"/api/v1/workspaces/{workspace['id']}", headers=bob.auth)
    assert_problem(gone, 404, "not-found")
    twice = await client.delete(_url(workspace, bob), headers=ada.auth)
    assert_problem(twice, 404, "not-found")

    revived = await api.member(ada, workspace, bob, role="viewer")
    assert revived["version"] == 3
    assert revived["role"] == "viewer"
    (event,) = await bus.take(1)
    assert event.type == "member.added"
    assert event.subject.version == 3


async def test_who_may_remove_whom(
    client: httpx.AsyncClient, users: Users, api: Api, bus: Bus, database_url: str
) -> None:
    ada, adm, bob, cyd = users("ada"), users("adm"), users("bob"), users("cyd")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, adm, role="admin")
    await api.member(ada, workspace, bob)
    await api.member(ada, workspace, cyd, role="viewer")
    await bus.drain()
    before = await row_counts(database_url)

    by_member = await client.delete(_url(workspace, cyd), headers=bob.auth)
    assert_problem(by_member, 403, "forbidden")
    owner_by_admin = await client.delete(_url(workspace, ada), headers=adm.auth)
    assert_problem(owner_by_admin, 403, "forbidden")
    last_owner_leaves = await client.delete(_url(workspace, ada), headers=ada.auth)
    assert_problem(last_owner_leaves, 409, "conflict")
    await bus.quiet()
    assert await row_counts(database_url) == before

    leaves = await client.delete(_url(workspace, cyd), headers=cyd.auth)
    assert leaves.status_code == 204
    (event,) = await bus.take(1)
    assert event.actor_id == cyd.id


async def test_any_member_reads_a_member_tagged_with_its_version(
    client: httpx.AsyncClient, users: Users, api: Api
) -> None:
    ada, bob, viewer = users("ada"), users("bob"), users("viewer")
    workspace = await api.workspace(ada)
    await api.member(ada, workspace, bob)
    await api.member(ada, workspace, viewer, role="viewer")
    promoted = await client.patch(_url(workspace, bob), json={"role": "admin"}, headers=ada.auth)
    assert promoted.status_code == 200, promoted.text

    for reader in (ada, bob, viewer):
        read = await client.get(_url(workspace, bob), headers=reader.auth)
        assert read.status_code == 200, read.text
        assert read.json() == promoted.json()
        assert read.headers["etag"] == '"2"'
    own = await client.get(_url(workspace, viewer), headers=viewer.auth)
    assert (own.json()["role"], own.headers["etag"]) == ("viewer", '"1"')


async def test_reading_a_member_hides_outsiders_unknowns_and_the_removed(
    client: httpx.AsyncClient, users: Users, api: Api
) -> None:
    ada, bob, outsider = users("ada"), users("bob"), users("outsider")
    workspace = await api.workspace(ada)
    elsewhere = await api.workspace(outsider, name="Elsewhere")
    await api.member(ada, workspace, bob)

    by_outsider = await client.get(_url(workspace, ada), headers=outsider.auth)
    assert_problem(by_outsider, 404, "not-found")
    across = await client.get(_url(elsewhere, outsider), headers=ada.auth)
    assert_problem(across, 404, "not-found")
    unknown_workspace = await client.get(
        f"/api/v1/workspaces/{new_id()}/members/{ada.id}", headers=ada.auth
    )
    assert_problem(unknown_workspace, 404, "not-found")
    unknown_user = await client.get(_url(workspace, users("nobody")), headers=ada.auth)
    assert_problem(unknown_user, 404, "not-found")

    removed = await client.delete(_url(workspace, bob), headers=ada.auth)
    assert removed.status_code == 204
    of_removed = await client.get(_url(workspace, bob), headers=ada.auth)
    assert_problem(of_removed, 404, "not-found")
    by_removed = await client.get(_url(workspace, ada), headers=bob.auth)
    assert_problem(by_removed, 404, "not-found")
