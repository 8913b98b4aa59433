"""Helpers of the projects tests: API shortcuts and row counts."""

from __future__ import annotations

from typing import Any

import httpx

from taskwire.testkit.users import User
from tests.support.sql import fetch

TABLES = ("workspaces", "members", "projects", "statuses", "outbox")


class Api:
    """Shortcuts that make the state a test starts from, asserting each call succeeded."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, user: User, url: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(f"/api/v1{url}", json=body, headers=user.auth)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def workspace(self, owner: User, name: str = "Acme", **body: Any) -> dict[str, Any]:
        return await self.post(owner, "/workspaces", {"name": name, **body})

    async def member(
        self, admin: User, workspace: dict[str, Any], user: User, role: str = "member"
    ) -> dict[str, Any]:
        body = {"user_id": str(user.id), "email": user.email, "display_name": user.name}
        return await self.post(
            admin, f"/workspaces/{workspace['id']}/members", {**body, "role": role}
        )

    async def project(
        self, admin: User, workspace: dict[str, Any], key: str = "WEB", **body: Any
    ) -> dict[str, Any]:
        body = {"key": key, "name": f"Project {key}", **body}
        return await self.post(admin, f"/workspaces/{workspace['id']}/projects", body)


async def row_counts(database_url: str) -> dict[str, int]:
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in TABLES)
    return {row[0]: row[1] for row in await fetch(database_url, sql)}
