"""Every kind of bad request answers a 4xx problem+json and writes nothing, events included."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from taskwire.common.ids import new_id
from tests.integration.tasks.conftest import MAX_BODY_BYTES
from tests.integration.tasks.helpers import Api, World, counts
from tests.support.amqp import EventTap
from tests.support.bus import Bus
from tests.support.problems import assert_problem

NOTHING = {"tasks": 0, "outbox": 0, "idempotency_keys": 0}


@pytest.fixture
def projects_url(stub_projects_service: str) -> str:
    """The read-through finds nothing the replica was not seeded with."""
    return stub_projects_service


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def bad_bodies(w: World) -> list[tuple[Any, int, str]]:
    other_workspace_user = w.outsider.id
    return [
        ({"title": 42}, 422, "validation"),
        ({"title": ["a"]}, 422, "validation"),
        ({}, 422, "validation"),
        ({"title": "   "}, 422, "validation"),
        ({"title": "x" * 501}, 422, "validation"),
        ({"title": "t", "description": "d" * 50_001}, 422, "validation"),
        ({"title": "t", "priority": "extreme"}, 422, "validation"),
        ({"title": "t", "status_id": "todo"}, 422, "validation"),
        ({"title": "t", "due_date": "tomorrow"}, 422, "validation"),
        ({"title": "t", "assignee_id": 7}, 422, "validation"),
        ({"title": "t", "colour": "red"}, 422, "validation"),
        (["title"], 422, "validation"),
        ({"title": "t", "status_id": str(new_id())}, 422, "unprocessable"),
        ({"title": "t", "assignee_id": str(other_workspace_user)}, 422, "unprocessable"),
        ({"title": "t", "assignee_id": str(new_id())}, 422, "unprocessable"),
        ({"title": "t", "after": str(new_id())}, 422, "unprocessable"),
        ({"title": "t", "before": str(new_id())}, 422, "unprocessable"),
    ]


async def test_bad_creates_answer_a_problem_and_write_nothing(
    api: Api, w: World, tap: EventTap, database_url: str
) -> None:
    other = await api.create(w.owner, w.project)  # the only row; it is the baseline
    ops_status = str(w.project.done)
    cases = [
        *bad_bodies(w),
        ({"title": "t", "after": other["id"], "before": other["id"]}, 422, "validation"),
        ({"title": "t", "after": other["id"], "status_id": ops_status}, 422, "unprocessable"),
    ]
    bus = Bus(tap, database_url)
    await bus.drain()
    before = await counts(database_url)

    for body, status, slug in cases:
        response = await api.post(w.member, w.tasks_url, body)
        assert_problem(response, status, slug)
        key = {"Idempotency-Key": f"bad-{new_id()}"}
        assert_problem(await api.post(w.member, w.tasks_url, body, key), status, slug)

    assert await counts(database_url) == before
    await bus.quiet()


async def test_a_status_of_another_project_is_refused(
    api: Api, w: World, seed: Any, database_url: str
) -> None:
    ops = await seed.project(w.workspace_id, "OPS")
    body = {"title": "t", "status_id": str(ops.todo)}
    assert_problem(await api.post(w.member, w.tasks_url, body), 422, "unprocessable")
    assert await counts(database_url) == NOTHING


async def test_bodies_that_are_not_json_or_too_large_are_refused(
    api: Api, w: World, client: httpx.AsyncClient, database_url: str
) -> None:
    url = f"/api/v1{w.tasks_url}"
    headers = {**w.member.auth, "content-type": "application/json"}
    for raw in (b"{not json", b"", b"null"):
        response = await client.post(url, content=raw, headers=headers)
        assert_problem(response, 422, "validation")
    huge = {"title": "t", "description": "d" * (MAX_BODY_BYTES + 1)}
    assert_problem(await api.post(w.member, w.tasks_url, huge), 413, "payload-too-large")
    assert await counts(database_url) == NOTHING


async def test_who_may_create(api: Api, w: World, database_url: str) -> None:
    assert_problem(await api.post(w.viewer, w.tasks_url, {"title": "t"}), 403, "forbidden")
    assert_problem(await api.post(w.outsider, w.tasks_url, {"title": "t"}), 404, "not-found")
    nowhere = f"/projects/{new_id()}/tasks"
    assert_problem(await api.post(w.member, nowhere, {"title": "t"}), 404, "not-found")
    response = await api.client.post(f"/api/v1{w.tasks_url}", json={"title": "t"})
    assert_problem(response, 401, "unauthenticated")
    assert await counts(database_url) == NOTHING


@pytest.mark.parametrize(
    ("params", "status", "slug"),
    [
        ({"order": "sideways"}, 422, "validation"),
        ({"priority": "extreme"}, 422, "validation"),
        ({"category": "someday"}, 422, "validation"),
        ({"archived": "maybe"}, 422, "validation"),
        ({"status_id": "todo"}, 422, "validation"),
        ({"limit": 0}, 422, "validation"),
        ({"limit": "ten"}, 422, "validation"),
        ({"q": "q" * 201}, 422, "validation"),
        ({"cursor": "not a cursor!"}, 400, "bad-request"),
        ({"cursor": b64(b"[1, 2]")}, 400, "bad-request"),
        ({"cursor": b64(b"\xff\xfe")}, 400, "bad-request"),
        ({"cursor": "x" * 513}, 422, "validation"),
    ],
)
async def test_bad_list_parameters_answer_a_problem(
    api: Api, w: World, params: dict[str, Any], status: int, slug: str
) -> None:
    assert_problem(await api.get(w.member, w.tasks_url, **params), status, slug)


async def test_a_page_size_over_the_cap_is_capped(api: Api, w: World) -> None:
    tasks = [{"title": f"T{i}"} for i in range(201)]
    created = await api.post(w.member, f"/projects/{w.project.id}/tasks/bulk", {"tasks": tasks})
    assert created.status_code == 201, created.text
    response = await api.get(w.member, w.tasks_url, limit=10_000)
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == 200
    assert response.json()["next_cursor"] is not None


async def test_a_cursor_is_taken_only_unchanged_and_in_its_own_order(api: Api, w: World) -> None:
    for _ in range(3):
        await api.create(w.member, w.project)
    cursor = (await api.page(w.member, w.tasks_url, limit=1))["next_cursor"]
    assert cursor is not None
    decoded = json.loads(base64.urlsafe_b64decode(cursor))
    tampered = [
        {**decoded, "position": "NaN"},
        {**decoded, "position": "1e99999"},
        {**decoded, "id": "me"},
        {**decoded, "lane": -1},
        {**decoded, "extra": 1},
        {k: v for k, v in decoded.items() if k != "status_id"},
        {**decoded, "updated_at": "2026-01-01T00:00:00Z"},
        {**decoded, "order": "created"},
    ]
    for value in tampered:
        forged = b64(json.dumps(value).encode())
        assert_problem(await api.get(w.member, w.tasks_url, cursor=forged), 400, "bad-request")
    for order in ("created", "-updated"):
        wrong = await api.get(w.member, w.tasks_url, cursor=cursor, order=order)
        assert_problem(wrong, 400, "bad-request")
    assert_problem(await api.get(w.member, "/me/tasks", cursor=cursor), 400, "bad-request")
    assert (await api.get(w.member, w.tasks_url, cursor=cursor)).status_code == 200


@pytest.mark.parametrize("updated_at", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
async def test_a_cursor_time_beyond_the_calendar_in_utc_answers_400(
    api: Api, w: World, updated_at: str
) -> None:
    """It was a 500: the driver could not encode the time once made UTC."""
    value = {"order": "updated", "id": str(new_id()), "updated_at": updated_at}
    forged = b64(json.dumps(value).encode())
    response = await api.get(w.member, w.tasks_url, cursor=forged, order="updated")
    assert_problem(response, 400, "bad-request")
