"""Idempotency-Key on create: a retry answers the first response and never makes a second task."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import create_async_engine

from taskwire.tasks.idempotency import purge_expired
from tests.integration.tasks.helpers import Api, World, counts
from tests.support.amqp import EventTap
from tests.support.bus import Bus
from tests.support.problems import assert_problem
from tests.support.sql import fetch


async def test_a_retry_answers_the_first_response_with_one_task_and_one_event(
    api: Api, w: World, tap: EventTap, database_url: str
) -> None:
    key = {"Idempotency-Key": "create-docs-1"}
    body = {"title": "Docs", "assignee_id": str(w.owner.id), "priority": "low"}

    first = await api.post(w.member, w.tasks_url, body, key)
    retry = await api.post(w.member, w.tasks_url, body, key)

    assert (first.status_code, retry.status_code) == (201, 201), retry.text
    assert retry.json() == first.json()
    assert first.json()["key"] == "WEB-1"
    for header in ("Location", "ETag"):
        assert retry.headers[header] == first.headers[header]
    assert await counts(database_url) == {"tasks": 1, "outbox": 1, "idempotency_keys": 1}
    bus = Bus(tap, database_url)
    await bus.drain()
    assert bus.seen == 1
    # The next task still gets the next number: the retry's statement took none.
    assert (await api.create(w.member, w.project))["number"] == 2


async def test_the_same_key_with_another_body_answers_422(
    api: Api, w: World, database_url: str
) -> None:
    key = {"Idempotency-Key": "k-42"}
    assert (await api.post(w.member, w.tasks_url, {"title": "One"}, key)).status_code == 201

    other = await api.post(w.member, w.tasks_url, {"title": "Another"}, key)

    assert_problem(other, 422, "unprocessable")
    assert await counts(database_url) == {"tasks": 1, "outbox": 1, "idempotency_keys": 1}
    # Keys are per caller: another user's identical key is another request.
    assert (await api.post(w.owner, w.tasks_url, {"title": "Another"}, key)).status_code == 201


async def test_concurrent_requests_with_one_key_make_one_task(
    api: Api, w: World, database_url: str
) -> None:
    key = {"Idempotency-Key": "double-click"}

    responses = await asyncio.gather(
        *(api.post(w.member, w.tasks_url, {"title": "Once"}, key) for _ in range(10))
    )

    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await counts(database_url) == {"tasks": 1, "outbox": 1, "idempotency_keys": 1}


async def test_a_retry_of_a_placed_create_answers_the_first_rank(
    api: Api, w: World, database_url: str
) -> None:
    top = await api.create(w.member, w.project)
    body = {"title": "Above", "before": top["id"]}
    key = {"Idempotency-Key": "above-top"}

    first = await api.post(w.member, w.tasks_url, body, key)
    retry = await api.post(w.member, w.tasks_url, body, key)

    assert retry.json() == first.json()
    assert first.json()["position"] != top["position"]
    assert (await counts(database_url))["tasks"] == 2


async def test_an_oversized_key_is_refused(api: Api, w: World, database_url: str) -> None:
    response = await api.post(w.member, w.tasks_url, {"title": "T"}, {"Idempotency-Key": "k" * 201})
    assert_problem(response, 422, "validation")
    assert await counts(database_url) == {"tasks": 0, "outbox": 0, "idempotency_keys": 0}


async def test_keys_past_their_retention_are_purged(database_url: str) -> None:
    await fetch(
        database_url,
        """
        INSERT INTO idempotency_keys (user_id, key, fingerprint, status_code, response, created_at)
        SELECT gen_random_uuid(), 'k' || g, '\\x00', 201, '{}', now() - make_interval(mins => g)
        FROM generate_series(1, 5) g
        """,
    )
    engine = create_async_engine(database_url)
    try:
        assert await purge_expired(engine, retention=150) == 3
    finally:
        await engine.dispose()
    rows = await fetch(database_url, "SELECT key FROM idempotency_keys ORDER BY key")
    assert [r[0] for r in rows] == ["k1", "k2"]
