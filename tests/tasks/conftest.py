"""The tasks service on real infrastructure, isolated per test.

A template database is migrated once per session; each test clones it, runs the app with its
lifespan against the test's own exchanges and consumer queue, and binds an event tap to
everything its exchange routes before the app starts. The replica starts empty: tests seed it
(`seed`) or feed it events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection
from fastapi import FastAPI

from taskwire.common.runtime import ServiceRuntime
from taskwire.tasks.app import create_app
from taskwire.tasks.settings import TasksSettings
from tests.support.amqp import EventTap, open_tap
from tests.support.infra import Infra
from tests.support.service import asgi_client, cloned_database, running
from tests.support.users import Users
from tests.tasks.replica_helpers import ReplicaDb
from tests.tasks.seed import Seed

MAX_BODY_BYTES = 256 * 1024
# Nothing listens here: a test that needs the projects service starts one and says so.
NO_PROJECTS_SERVICE = "http://127.0.0.1:9"


@pytest.fixture
async def database_url(infra: Infra, unique: str, tasks_template: str) -> AsyncIterator[str]:
    async with cloned_database(infra, f"tw_tasks_{unique}", tasks_template) as url:
        yield url


@pytest.fixture
def projects_url() -> str:
    """Where the service reads through; override in a module that runs the projects service."""
    return NO_PROJECTS_SERVICE


@pytest.fixture
def settings(
    infra: Infra,
    database_url: str,
    exchange_names: tuple[str, str],
    unique: str,
    projects_url: str,
) -> TasksSettings:
    exchange, dead_letters = exchange_names
    return TasksSettings(
        environment="development",
        database_url=database_url,
        amqp_url=infra.amqp_url,
        exchange=exchange,
        dead_letter_exchange=dead_letters,
        consumer_queue=f"tasks.t{unique}",
        max_body_bytes=MAX_BODY_BYTES,
        db_pool_size=8,
        projects_url=projects_url,
        projects_attempts=2,
        projects_timeout_seconds=1.0,
    )


@pytest.fixture
async def tap(amqp: AbstractRobustConnection, exchange_names: tuple[str, str]) -> EventTap:
    return await open_tap(amqp, exchange_names[0], "task.#")


@pytest.fixture
async def app(
    settings: TasksSettings, tap: EventTap, amqp: AbstractRobustConnection
) -> AsyncIterator[FastAPI]:
    async with running(create_app(settings), amqp, settings.consumer_queue) as application:
        yield application


@pytest.fixture
def runtime(app: FastAPI) -> ServiceRuntime:
    found: ServiceRuntime = app.state.runtime
    return found


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app, "http://tasks.test") as c:
        yield c


@pytest.fixture
def users(settings: TasksSettings) -> Users:
    return Users(settings)


@pytest.fixture
def seed(database_url: str) -> Seed:
    return Seed(database_url)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[ReplicaDb]:
    """The test's tasks database, for applying replica events and reading what they wrote."""
    async with ReplicaDb.open(database_url) as found:
        yield found
