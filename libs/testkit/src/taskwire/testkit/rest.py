"""Calls to a running service over REST, as a user: the world a test or a benchmark starts from,
made the way a client makes it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from taskwire.testkit.users import User


async def post(service: str, user: User, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"{service}/api/v1", headers=user.auth) as http:
        response = await http.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    found: dict[str, Any] = response.json()
    return found


async def workspace_and_project(service: str, owner: User) -> tuple[uuid.UUID, uuid.UUID]:
    """Both made through the projects service, as `owner`."""
    workspace = await post(service, owner, "/workspaces", {"name": "Acme"})
    path = f"/workspaces/{workspace['id']}/projects"
    project = await post(service, owner, path, {"key": "WEB", "name": "Web"})
    return uuid.UUID(workspace["id"]), uuid.UUID(project["id"])
