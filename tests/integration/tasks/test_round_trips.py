"""What a warm request costs in Postgres round trips, counted on the wire.

The service talks to Postgres through a counting proxy (tests/support/pg_counter.py) with its
relay off, so the only traffic of the service's own engine is the requests'. Only the engine's
connections are counted (by application_name): the invalidation feed's idle pings are another
client. A first request warms what is cached (the directory, prepared statements).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection
from fastapi import FastAPI
from sqlalchemy import make_url

from taskwire.tasks.app import create_app
from taskwire.tasks.settings import TasksSettings
from taskwire.testkit.infra import Infra
from tests.integration.tasks.changing import Changes
from tests.integration.tasks.helpers import Api, World
from tests.support.amqp import EventTap
from tests.support.pg_counter import PgCounter
from tests.support.service import running


@pytest.fixture
async def counter(infra: Infra) -> AsyncIterator[PgCounter]:
    target = make_url(infra.postgres_admin_url)
    proxy = PgCounter(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.cut()


@pytest.fixture(name="app")
async def app_behind_the_counter(
    settings: TasksSettings, counter: PgCounter, tap: EventTap, amqp: AbstractRobustConnection
) -> AsyncIterator[FastAPI]:
    # No metrics sampling: its statements would be counted with the requests'.
    update = {"database_url": counter.url(settings.database_url), "metrics_sample_seconds": 300}
    proxied = settings.model_copy(update=update)
    async with running(create_app(proxied, run_relay=False), amqp, proxied.consumer_queue) as app:
        yield app


async def round_trips(counter: PgCounter, settings: TasksSettings, request: Any) -> int:
    """The round trips the service's engine makes while `request` runs."""
    before = counter.round_trips[settings.service_name]
    await request
    return counter.round_trips[settings.service_name] - before


async def test_a_warm_create_costs_one_round_trip(
    api: Api, w: World, counter: PgCounter, settings: TasksSettings
) -> None:
    await api.create(w.member, w.project)  # warms the directory and the prepared statement

    cost = await round_trips(counter, settings, api.create(w.member, w.project, title="Next"))

    assert cost <= 2, cost
    assert cost == 1, f"the design's create is one statement; it took {cost} round trips"


async def test_a_warm_create_with_an_idempotency_key_costs_one_round_trip(
    api: Api, w: World, counter: PgCounter, settings: TasksSettings
) -> None:
    url = w.tasks_url
    warm = await api.post(w.member, url, {"title": "Warm"}, {"Idempotency-Key": "warm"})
    assert warm.status_code == 201, warm.text

    created = api.post(w.member, url, {"title": "Keyed"}, {"Idempotency-Key": "keyed"})
    cost = await round_trips(counter, settings, created)

    assert cost <= 2, cost
    # A retry reads the stored answer after its statement was refused: two round trips.
    retry = api.post(w.member, url, {"title": "Keyed"}, {"Idempotency-Key": "keyed"})
    assert await round_trips(counter, settings, retry) <= 2


async def test_a_warm_placed_create_costs_two_round_trips(
    api: Api, w: World, counter: PgCounter, settings: TasksSettings
) -> None:
    top = await api.create(w.member, w.project)
    await api.create(w.member, w.project, before=top["id"])

    placed = api.create(w.member, w.project, after=top["id"])
    assert await round_trips(counter, settings, placed) <= 2


async def test_a_warm_move_costs_two_round_trips(
    api: Api, w: World, counter: PgCounter, settings: TasksSettings
) -> None:
    first, second = await api.create(w.member, w.project), await api.create(w.member, w.project)
    done = str(w.project.done)
    warm = await api.post(w.member, f"/tasks/{first['id']}/move", {"status_id": done})
    assert warm.status_code == 200, warm.text

    move = api.post(
        w.member, f"/tasks/{second['id']}/move", {"after": first["id"]} | {"status_id": done}
    )
    cost = await round_trips(counter, settings, move)

    assert cost <= 2, cost
    assert cost == 2, f"the design's move reads the task, then writes it: it took {cost}"


@pytest.mark.parametrize("route", ["update", "archive", "restore", "delete"])
async def test_a_warm_change_costs_two_round_trips(
    api: Api, w: World, changes: Changes, counter: PgCounter, settings: TasksSettings, route: str
) -> None:
    warm, task = await api.create(w.member, w.project), await api.create(w.member, w.project)
    if route == "restore":  # restoring a live task changes nothing: archive both first
        for archived in (warm, task):
            assert (await changes.send(w.member, "archive", archived["id"])).status_code == 200
    assert (await changes.send(w.member, route, warm["id"])).status_code in (200, 204)

    cost = await round_trips(counter, settings, changes.send(w.member, route, task["id"]))

    assert cost == 2, f"a change reads the task, then writes it: {route} took {cost}"
