"""A use case that fails after writing leaves neither its rows nor its events behind."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from taskwire.testkit.users import Users
from tests.integration.projects.helpers import Api, row_counts
from tests.support.bus import Bus
from tests.support.sql import execute, fetch

FAIL_ON_INSERT = """
CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
CREATE TRIGGER refuse BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse();
"""


@pytest.fixture
async def raw_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that answers a server error as a 500 instead of raising it into the test."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://projects.test") as c:
        yield c


async def _refuse_inserts(database_url: str, table: str) -> None:
    await execute(database_url, FAIL_ON_INSERT.format(table=table))


async def test_a_board_insert_failing_after_the_project_row_leaves_nothing(
    raw_client: httpx.AsyncClient, users: Users, api: Api, bus: Bus, database_url: str
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    await bus.drain()
    await _refuse_inserts(database_url, "statuses")
    before = await row_counts(database_url)

    response = await raw_client.post(
        f"/api/v1/workspaces/{workspace['id']}/projects",
        json={"key": "WEB", "name": "Web"},
        headers=ada.auth,
    )
    assert response.status_code == 500
    assert await row_counts(database_url) == before
    await bus.quiet()


async def test_an_outbox_failure_at_commit_undoes_the_change(
    raw_client: httpx.AsyncClient, users: Users, api: Api, bus: Bus, database_url: str
) -> None:
    ada = users("ada")
    project = await api.project(ada, await api.workspace(ada))
    await bus.drain()
    await _refuse_inserts(database_url, "outbox")

    response = await raw_client.patch(
        f"/api/v1/projects/{project['id']}", json={"name": "Renamed"}, headers=ada.auth
    )
    assert response.status_code == 500
    rows = await fetch(database_url, "SELECT name, version FROM projects")
    assert [tuple(r) for r in rows] == [(project["name"], 1)]
    await bus.quiet()
