"""The projects service on real infrastructure, isolated per test.

A template database is migrated once per session; each test clones it (CREATE DATABASE ...
TEMPLATE), runs the app with its lifespan against the test's own exchanges and consumer queue,
and binds an event tap to everything its exchange routes before the app starts.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from taskwire.common.runtime import ServiceRuntime
from taskwire.projects.app import create_app
from taskwire.projects.migrate import upgrade
from taskwire.projects.settings import ProjectsSettings
from tests.projects.helpers import Api, Bus, Users
from tests.support.amqp import EventTap, open_tap
from tests.support.databases import create_database, drop_database
from tests.support.infra import Infra

MAX_BODY_BYTES = 4096


@pytest.fixture(scope="session")
def projects_template(infra: Infra) -> Iterator[str]:
    """A migrated database, cloned by each test (sync: it runs outside the tests' loops)."""
    name = f"tw_projects_template_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        await upgrade(await create_database(infra.postgres_admin_url, name))

    asyncio.run(create())
    try:
        yield name
    finally:
        asyncio.run(drop_database(infra.postgres_admin_url, name))


@pytest.fixture
async def database_url(infra: Infra, unique: str, projects_template: str) -> AsyncIterator[str]:
    name = f"tw_projects_{unique}"
    url = await create_database(infra.postgres_admin_url, name, template=projects_template)
    try:
        yield url
    finally:
        await drop_database(infra.postgres_admin_url, name)


@pytest.fixture
def settings(
    infra: Infra, database_url: str, exchange_names: tuple[str, str], unique: str
) -> ProjectsSettings:
    exchange, dead_letters = exchange_names
    return ProjectsSettings(
        environment="test",
        database_url=database_url,
        amqp_url=infra.amqp_url,
        exchange=exchange,
        dead_letter_exchange=dead_letters,
        consumer_queue=f"projects.t{unique}",
        max_body_bytes=MAX_BODY_BYTES,
        db_pool_size=4,
    )


@pytest.fixture
async def tap(amqp: AbstractRobustConnection, exchange_names: tuple[str, str]) -> EventTap:
    return await open_tap(amqp, exchange_names[0], "#")


@pytest.fixture
async def app(
    settings: ProjectsSettings, tap: EventTap, amqp: AbstractRobustConnection
) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    try:
        async with LifespanManager(application):
            yield application
    finally:
        channel = await amqp.channel()
        for queue in (settings.consumer_queue, f"{settings.consumer_queue}.dlq"):
            await channel.queue_delete(queue)
        await channel.close()


@pytest.fixture
def runtime(app: FastAPI) -> ServiceRuntime:
    found: ServiceRuntime = app.state.runtime
    return found


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://projects.test") as c:
        yield c


@pytest.fixture
def users(settings: ProjectsSettings) -> Users:
    return Users(settings)


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


@pytest.fixture
def bus(tap: EventTap, database_url: str) -> Bus:
    return Bus(tap, database_url)
