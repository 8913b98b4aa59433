"""Helpers of the tasks API tests: a seeded workspace, API shortcuts, row counts, and a projects
service that knows nothing. tests/integration/tasks/conftest.py makes fixtures of them (`w`, `api`,
`stub_projects_service`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from taskwire.common.events.projects import Role
from taskwire.testkit.seed import Seed, SeededProject
from taskwire.testkit.users import User, Users
from tests.support.service import serving
from tests.support.sql import fetch

WRITTEN = ("tasks", "outbox", "idempotency_keys")


@dataclass(frozen=True)
class World:
    """A workspace with one user of each kind, and one project (key WEB) with the default board."""

    owner: User
    member: User
    viewer: User
    outsider: User  # a member of another workspace only
    workspace_id: UUID
    project: SeededProject

    @property
    def tasks_url(self) -> str:
        return f"/projects/{self.project.id}/tasks"


async def world(seed: Seed, users: Users, key: str = "WEB") -> World:
    owner, member, viewer, outsider = users("olga"), users("mia"), users("vic"), users("otto")
    workspace_id = await seed.workspace(owner, (member, Role.MEMBER), (viewer, Role.VIEWER))
    await seed.workspace(outsider)
    project = await seed.project(workspace_id, key)
    return World(owner, member, viewer, outsider, workspace_id, project)


class Api:
    """Calls under /api/v1; the `create*` shortcuts assert that the call succeeded."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(
        self, user: User, url: str, body: Any, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.post(
            f"/api/v1{url}", json=body, headers={**user.auth, **(headers or {})}
        )

    async def get(self, user: User, url: str, **params: Any) -> httpx.Response:
        query = {k: str(v) for k, v in params.items() if v is not None}
        return await self.client.get(f"/api/v1{url}", params=query, headers=user.auth)

    async def create(self, user: User, project: SeededProject, **body: Any) -> dict[str, Any]:
        response = await self.post(user, f"/projects/{project.id}/tasks", {"title": "T", **body})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def create_many(
        self, user: User, project: SeededProject, items: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        response = await self.post(user, f"/projects/{project.id}/tasks/bulk", {"tasks": items})
        assert response.status_code == 201, response.text
        created: list[dict[str, Any]] = response.json()["items"]
        return created

    async def page(self, user: User, url: str, **params: Any) -> dict[str, Any]:
        response = await self.get(user, url, **params)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def walk(self, user: User, url: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a list, page after page, following next_cursor to the end."""
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = await self.page(user, url, **params, cursor=cursor)
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items


async def _nothing_more(request: Request) -> Response:
    return JSONResponse({"status": 404, "detail": "not found"}, 404)


@asynccontextmanager
async def projects_service_knowing_nothing() -> AsyncIterator[str]:
    """A projects service that knows nothing the replica was not seeded with: a read-through
    answers "not found" (as the real one does to an outsider), not "unreachable"."""
    stub = Starlette()
    stub.add_route("/{path:path}", _nothing_more)
    async with serving(stub, lifespan="off") as url:
        yield url


async def counts(database_url: str) -> dict[str, int]:
    """Rows of what a create writes: a refused request must leave every count as it was."""
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in WRITTEN)
    return {row[0]: row[1] for row in await fetch(database_url, sql)}
