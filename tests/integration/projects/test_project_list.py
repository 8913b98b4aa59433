"""The project list: keyset pages without gaps or repeats, in ONE statement per page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event

from taskwire.common.runtime import ServiceRuntime
from taskwire.testkit.users import Users
from tests.integration.projects.helpers import Api
from tests.support.problems import assert_problem


@contextmanager
def statements(runtime: ServiceRuntime) -> Iterator[list[str]]:
    """The SQL statements the service's engine sends while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = runtime.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_pages_cover_every_project_once_with_one_statement_each(
    client: httpx.AsyncClient, users: Users, api: Api, runtime: ServiceRuntime
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    created = [await api.project(ada, workspace, f"P{i}") for i in range(7)]
    url = f"/api/v1/workspaces/{workspace['id']}/projects"

    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        params = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        with statements(runtime) as sent:
            response = await client.get(url, params=params, headers=ada.auth)
        assert response.status_code == 200, response.text
        assert len(sent) == 1, sent
        body = response.json()
        pages.append(body["items"])
        if (cursor := body["next_cursor"]) is None:
            break

    assert [len(p) for p in pages] == [3, 3, 1]
    ids = [p["id"] for page in pages for p in page]
    assert ids == sorted(p["id"] for p in created)
    first = pages[0][0]
    assert first["counts"]["total"] == 0
    assert first["derived_status"] == "todo"
    assert "statuses" not in first


async def test_an_empty_page_and_a_stranger_cost_one_statement_too(
    client: httpx.AsyncClient, users: Users, api: Api, runtime: ServiceRuntime
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    url = f"/api/v1/workspaces/{workspace['id']}/projects"
    with statements(runtime) as sent:
        empty = await client.get(url, headers=ada.auth)
        hidden = await client.get(url, headers=users().auth)
    assert empty.json() == {"items": [], "next_cursor": None}
    assert_problem(hidden, 404, "not-found")
    assert len(sent) == 2


async def test_limit_is_capped_and_validated(
    client: httpx.AsyncClient, users: Users, api: Api
) -> None:
    ada = users("ada")
    workspace = await api.workspace(ada)
    await api.project(ada, workspace)
    url = f"/api/v1/workspaces/{workspace['id']}/projects"
    capped = await client.get(url, params={"limit": "100000"}, headers=ada.auth)
    assert capped.status_code == 200
    assert len(capped.json()["items"]) == 1
    assert_problem(
        await client.get(url, params={"limit": "0"}, headers=ada.auth), 422, "validation"
    )
    bad_cursor = await client.get(url, params={"cursor": "AAAA"}, headers=ada.auth)
    assert_problem(bad_cursor, 400, "bad-request")
