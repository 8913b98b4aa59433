"""Concurrent writers: the rules hold when requests race (the locks are real, not hoped for)."""

from __future__ import annotations

import asyncio
from uuid import UUID

import httpx

from taskwire.testkit.users import Users
from tests.integration.projects.helpers import Api
from tests.support.sql import fetch


async def test_two_owners_demoting_each_other_at_once_leave_an_owner(
    client: httpx.AsyncClient, users: Users, api: Api, database_url: str
) -> None:
    # Several rounds: one race may happen to run its requests one after the other.
    for _ in range(6):
        ada, bob = users("ada"), users("bob")
        workspace = await api.workspace(ada)
        await api.member(ada, workspace, bob, role="owner")
        base = f"/api/v1/workspaces/{workspace['id']}/members"

        answers = await asyncio.gather(
            client.patch(f"{base}/{bob.id}", json={"role": "admin"}, headers=ada.auth),
            client.patch(f"{base}/{ada.id}", json={"role": "admin"}, headers=bob.auth),
        )
        assert [a.status_code for a in answers].count(200) == 1, [a.text for a in answers]
        owners = await fetch(
            database_url,
            "SELECT count(*) FROM members WHERE role = 'owner' AND workspace_id = $1",
            UUID(workspace["id"]),
        )
        assert owners[0][0] == 1


async def test_racing_reorders_keep_the_board_contiguous(
    client: httpx.AsyncClient, users: Users, api: Api, database_url: str
) -> None:
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    moves = [
        client.patch(
            f"/api/v1/statuses/{s['id']}", json={"position": (i * 3) % 5}, headers=ada.auth
        )
        for i, s in enumerate(project["statuses"])
    ]
    moves.append(
        client.post(
            f"/api/v1/projects/{project['id']}/statuses",
            json={"name": "Extra", "category": "todo", "position": 2},
            headers=ada.auth,
        )
    )
    answers = await asyncio.gather(*moves)
    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
    rows = await fetch(database_url, "SELECT position FROM statuses ORDER BY position")
    assert [r[0] for r in rows] == list(range(6))
