"""The system through its gateway, as an attacker or an unlucky neighbour meets it: text no
database can store, a request that fails inside the service, a flood of lookups that miss.
Each answer is a clear problem, and none of it reaches another caller."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.common.db import asyncpg_dsn
from taskwire.testkit.gateway import bare_get, behind_gateway
from taskwire.testkit.infra import Infra
from taskwire.testkit.running import run_environment
from taskwire.testkit.users import User, Users
from tests.support.problems import assert_problem

NUL, LONE_SURROGATE = "\u0000", "\ud800"


@pytest.fixture
async def env(
    infra: Infra, unique: str, exchange_names: tuple[str, str], amqp: AbstractRobustConnection
) -> AsyncIterator[dict[str, str]]:
    async with run_environment(infra, unique, exchange_names, amqp) as found:
        yield found


@pytest.fixture
async def gateway(env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        behind_gateway(env) as url,
        httpx.AsyncClient(
            base_url=f"{url}/api/v1", timeout=30, limits=httpx.Limits(max_connections=500)
        ) as http,
    ):
        yield http


def raw_json(user: User, text: str) -> dict[str, Any]:
    """A JSON body as sent (`json=` could not send a lone surrogate), with the user's token."""
    return {"content": text.encode(), "headers": {**user.auth, "Content-Type": "application/json"}}


async def made(http: httpx.AsyncClient, user: User, path: str, body: dict[str, Any]) -> Any:
    response = await http.post(path, json=body, headers=user.auth)
    assert response.status_code == 201, response.text
    return response.json()


async def test_text_no_database_can_store_is_refused_and_changes_nothing(
    gateway: httpx.AsyncClient, users: Users
) -> None:
    ada = users("ada")
    workspace = await made(gateway, ada, "/workspaces", {"name": "Acme"})
    ws = workspace["id"]
    project = await made(gateway, ada, f"/workspaces/{ws}/projects", {"key": "WEB", "name": "W"})
    tasks = f"/projects/{project['id']}/tasks"
    bad = [
        ("POST", "/workspaces", '{"name": "A\\u0000"}'),
        ("PATCH", f"/workspaces/{ws}", '{"name": "\\ud800"}'),
        ("POST", f"/workspaces/{ws}/projects", '{"key": "NUL", "name": "a\\u0000b"}'),
        ("PATCH", f"/projects/{project['id']}", '{"description": "\\udc00"}'),
        ("POST", tasks, '{"title": "x\\u0000"}'),
        ("POST", tasks, '{"title": "fine", "description": "\\ud83d alone"}'),
        ("POST", f"{tasks}/bulk", '{"tasks": [{"title": "ok"}, {"title": "\\u0000"}]}'),
        (
            "POST",
            f"/workspaces/{ws}/members",
            f'{{"user_id": "{uuid.uuid4()}", "email": "b@x.test", "display_name": "B\\u0000"}}',
        ),
    ]
    for method, path, body in bad:
        response = await gateway.request(method, path, **raw_json(ada, body))
        detail = assert_problem(response, 422, "validation")["detail"]
        assert "NUL" in detail, (path, detail)
    listed = await gateway.get(f"{tasks}?q=a%00b", headers=ada.auth)
    assert_problem(listed, 422, "validation")

    assert (await gateway.get(tasks, headers=ada.auth)).json()["items"] == []
    mine = (await gateway.get("/workspaces", headers=ada.auth)).json()["items"]
    assert [w["name"] for w in mine] == ["Acme"]
    shown = (await gateway.get(f"/projects/{project['id']}", headers=ada.auth)).json()
    assert (shown["name"], shown["description"]) == ("W", project["description"])
    members = (await gateway.get(f"/workspaces/{ws}/members", headers=ada.auth)).json()
    assert len(members["items"]) == 1


async def test_an_error_inside_a_service_hurts_only_its_own_request(
    gateway: httpx.AsyncClient, env: dict[str, str], users: Users
) -> None:
    ada = users("ada")
    workspace = await made(gateway, ada, "/workspaces", {"name": "Acme"})
    project = await made(
        gateway, ada, f"/workspaces/{workspace['id']}/projects", {"key": "WEB", "name": "W"}
    )
    # The injected fault: the tasks database fails every insert of a task titled "fault ...",
    # an error no route expects.
    tasks_db = await asyncpg.connect(asyncpg_dsn(env["TASKWIRE_TASKS_DATABASE_URL"]))
    try:
        await tasks_db.execute(
            """
            CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'injected fault'; END $$;
            CREATE TRIGGER injected_fault BEFORE INSERT ON tasks
            FOR EACH ROW WHEN (NEW.title LIKE 'fault%') EXECUTE FUNCTION injected_fault();
            """
        )
    finally:
        await tasks_db.close()
    path = f"/projects/{project['id']}/tasks"
    good: list[int] = []
    for n in range(50):
        failed = await gateway.post(path, json={"title": f"fault {n}"}, headers=ada.auth)
        assert_problem(failed, 500, "internal")
        created = await gateway.post(path, json={"title": f"good {n}"}, headers=ada.auth)
        good.append(created.status_code)
    assert good == [201] * 50
    listed = (await gateway.get(f"{path}?limit=200", headers=ada.auth)).json()["items"]
    assert sorted(task["title"] for task in listed) == sorted(f"good {n}" for n in range(50))


async def test_a_flood_of_lookups_that_miss_does_not_stall_a_neighbour(
    env: dict[str, str], gateway: httpx.AsyncClient, users: Users
) -> None:
    ada, mallory = users("ada"), users("mallory")
    workspace = await made(gateway, ada, "/workspaces", {"name": "Acme"})
    project = await made(
        gateway, ada, f"/workspaces/{workspace['id']}/projects", {"key": "WEB", "name": "W"}
    )
    task = await made(gateway, ada, f"/projects/{project['id']}/tasks", {"title": "known"})
    url = f"http://127.0.0.1:{env['TASKWIRE_GATEWAY_PORT']}"

    async def timed(path: str, user: User) -> tuple[int, dict[str, str], float]:
        started = time.monotonic()
        status, headers = await bare_get(url, f"/api/v1{path}", user.auth)
        return status, headers, time.monotonic() - started

    # Each misses the directory, then asks the projects service: the costliest read there is.
    flood = [
        asyncio.create_task(timed(f"/projects/{uuid.uuid4()}/tasks", mallory)) for _ in range(400)
    ]
    await asyncio.sleep(0.05)  # the flood is in
    neighbour = [await timed(f"/tasks/{task['id']}", ada) for _ in range(5)]
    answers = await asyncio.gather(*flood)

    for status, _, took in neighbour:
        assert status == 200
        assert took < 2, took
    statuses: dict[int, int] = {}
    for status, headers, took in answers:
        statuses[status] = statuses.get(status, 0) + 1
        assert took < 5, took
        if status in (429, 503):
            assert headers["retry-after"] == "1"
            assert headers["content-type"] == "application/problem+json"
    assert set(statuses) <= {404, 429, 503}, statuses
    assert statuses.get(429, 0) > 0, statuses  # the gateway held the caller to its rate
