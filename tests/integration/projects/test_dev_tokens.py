"""A token from `POST /api/v1/dev/tokens` signs in to the running service, and signing in again
with the same email is the same user: the workspace made with the first token is theirs."""

from __future__ import annotations

from typing import Any

import httpx


async def sign_in(client: httpx.AsyncClient, email: str) -> tuple[dict[str, str], str]:
    response = await client.post("/api/v1/dev/tokens", json={"email": email, "display_name": "Ada"})
    assert response.status_code == 201, response.text
    minted: dict[str, Any] = response.json()
    return {"Authorization": f"Bearer {minted['token']}"}, minted["user_id"]


async def test_a_development_token_makes_a_workspace_its_user_keeps(
    client: httpx.AsyncClient,
) -> None:
    auth, user_id = await sign_in(client, "ada@example.test")
    made = await client.post("/api/v1/workspaces", json={"name": "Mine"}, headers=auth)
    assert made.status_code == 201, made.text
    workspace_id = made.json()["id"]
    members = await client.get(f"/api/v1/workspaces/{workspace_id}/members", headers=auth)
    assert [m["user_id"] for m in members.json()["items"]] == [user_id]

    again, same_user = await sign_in(client, "ADA@example.test")
    assert same_user == user_id
    mine = await client.get("/api/v1/workspaces", headers=again)
    assert [w["id"] for w in mine.json()["items"]] == [workspace_id]
    _, stranger = await sign_in(client, "bob@example.test")
    assert stranger != user_id
