"""A database session the server ends (a restart, an operator, a failover) under a change that
runs on the raw driver (the precompiled statements) is a dependency away, not a fault: the
answer is 503 with Retry-After, which the caller may retry with its If-Match, never a 500."""

from __future__ import annotations

import httpx

from taskwire.tasks.settings import TasksSettings
from tests.integration.tasks.helpers import Api, World
from tests.support.sql import fetch

SESSIONS = (
    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()"
)


async def test_a_change_whose_session_the_server_ended_is_answered_503_then_succeeds(
    w: World, api: Api, client: httpx.AsyncClient, settings: TasksSettings, database_url: str
) -> None:
    task = await api.create(w.owner, w.project)
    changes = [
        ("PATCH", f"/api/v1/tasks/{task['id']}", {"title": "renamed"}),
        ("POST", f"/api/v1/tasks/{task['id']}/move", {}),
        ("POST", f"/api/v1/tasks/{task['id']}/archive", None),
        ("POST", f"/api/v1/tasks/{task['id']}/restore", None),
    ]
    for _ in range(2):  # every pooled connection has been used at least once
        for method, url, body in changes:
            await client.request(method, url, json=body, headers=w.owner.auth)
    pids = {row["pid"] for row in await fetch(database_url, SESSIONS, settings.service_name)}
    await fetch(database_url, "SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid", pids)

    answers = []
    for _ in range(3 * (settings.db_pool_size + settings.db_max_overflow)):
        for method, url, body in changes:
            answer = await client.request(method, url, json=body, headers=w.owner.auth)
            answers.append(answer.status_code)
            if answer.status_code == 503:
                assert answer.headers["Retry-After"]
                assert answer.headers["content-type"] == "application/problem+json"

    assert set(answers) <= {200, 503}, answers
    assert 503 in answers  # the sessions were in use: some change met its end
    assert answers[-len(changes) :] == [200] * len(changes)
