"""The aggregator on real infrastructure, isolated per test: its own database (cloned from a
template migrated once), exchanges, queue and Redis key prefix. A tap reads what it emits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import redis.asyncio as redis
from aio_pika.abc import AbstractRobustConnection
from fastapi import FastAPI

from taskwire.aggregator.app import create_app
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.common.runtime import ServiceRuntime
from tests.aggregator.helpers import CountsDb
from tests.support.amqp import EventTap, Publisher, open_tap
from tests.support.infra import Infra
from tests.support.service import asgi_client, cloned_database, running
from tests.support.users import Users

# Nothing listens here: a test that needs another service starts it and overrides the URL.
NO_SERVICE = "http://127.0.0.1:9"


@pytest.fixture
async def database_url(infra: Infra, unique: str, aggregator_template: str) -> AsyncIterator[str]:
    async with cloned_database(infra, f"tw_aggregator_{unique}", aggregator_template) as url:
        yield url


@pytest.fixture
def tasks_url() -> str:
    return NO_SERVICE


@pytest.fixture
def projects_url() -> str:
    return NO_SERVICE


@pytest.fixture
def redis_url(infra: Infra) -> str:
    return infra.redis_url


@pytest.fixture
async def redis_prefix(infra: Infra, unique: str) -> AsyncIterator[str]:
    prefix = f"tw:t{unique}:"
    yield prefix
    client = redis.Redis.from_url(infra.redis_url)
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def settings(
    infra: Infra,
    database_url: str,
    exchange_names: tuple[str, str],
    unique: str,
    redis_prefix: str,
    tasks_url: str,
    projects_url: str,
    redis_url: str,
) -> AggregatorSettings:
    exchange, dead_letters = exchange_names
    return AggregatorSettings(
        environment="development",
        database_url=database_url,
        amqp_url=infra.amqp_url,
        exchange=exchange,
        dead_letter_exchange=dead_letters,
        consumer_queue=f"aggregator.t{unique}",
        redis_url=redis_url,
        redis_key_prefix=redis_prefix,
        tasks_url=tasks_url,
        projects_url=projects_url,
        http_attempts=2,
        db_pool_size=4,
        consumer_prefetch=64,
        outbox_poll_seconds=0.5,
    )


@pytest.fixture
async def tap(amqp: AbstractRobustConnection, exchange_names: tuple[str, str]) -> EventTap:
    return await open_tap(amqp, exchange_names[0], "project.#")


@pytest.fixture
async def app(
    settings: AggregatorSettings, tap: EventTap, amqp: AbstractRobustConnection
) -> AsyncIterator[FastAPI]:
    async with running(create_app(settings), amqp, settings.consumer_queue) as application:
        yield application


@pytest.fixture
def runtime(app: FastAPI) -> ServiceRuntime:
    found: ServiceRuntime = app.state.runtime
    return found


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app, "http://aggregator.test") as c:
        yield c


@pytest.fixture
def users(settings: AggregatorSettings) -> Users:
    return Users(settings)


@pytest.fixture
async def tasks(
    amqp: AbstractRobustConnection, settings: AggregatorSettings, runtime: ServiceRuntime
) -> Publisher:
    """Publishes the task events a test makes, once the aggregator consumes its queue."""
    publisher = Publisher(amqp, settings.exchange, runtime)
    await publisher.ready(settings.consumer_queue)
    return publisher


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[CountsDb]:
    async with CountsDb.open(database_url) as found:
        yield found
