"""The tasks service on real infrastructure, isolated per test.

A template database is migrated once per session; each test clones it, runs the app with its
lifespan against the test's own exchanges and consumer queue, and binds an event tap to the
task events its exchange routes before the app starts (the fixtures of
tests/support/service_fixtures.py, for the service named here). The replica starts empty: tests
seed it (`seed`, or a world of users and a project: `w`) or feed it events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from taskwire.tasks.app import create_app
from taskwire.tasks.settings import TasksSettings
from taskwire.testkit.infra import Infra
from taskwire.testkit.seed import Seed
from taskwire.testkit.users import Users
from tests.integration.tasks.changing import Changes
from tests.integration.tasks.helpers import Api, World, projects_service_knowing_nothing, world
from tests.integration.tasks.replica_helpers import ReplicaDb
from tests.support.service_fixtures import ServiceUnderTest

MAX_BODY_BYTES = 256 * 1024
# Nothing listens here: a test that needs the projects service starts one and says so.
NO_PROJECTS_SERVICE = "http://127.0.0.1:9"


@pytest.fixture
def service(tasks_template: str) -> ServiceUnderTest:
    return ServiceUnderTest("tasks", tasks_template, create_app, routes=("task.#",))


@pytest.fixture
def projects_url() -> str:
    """Where the service reads through; override in a module that runs the projects service."""
    return NO_PROJECTS_SERVICE


@pytest.fixture
async def stub_projects_service() -> AsyncIterator[str]:
    """A projects service that answers "not found" to everything: a module whose `projects_url`
    names it reads through to nothing the replica was not seeded with."""
    async with projects_service_knowing_nothing() as url:
        yield url


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
def seed(database_url: str) -> Seed:
    return Seed(database_url)


@pytest.fixture
async def w(seed: Seed, users: Users) -> World:
    """A seeded workspace with one user of each kind and one project."""
    return await world(seed, users)


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


@pytest.fixture
def changes(client: httpx.AsyncClient) -> Changes:
    return Changes(client)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[ReplicaDb]:
    """The test's tasks database, for applying replica events and reading what they wrote."""
    async with ReplicaDb.open(database_url) as found:
        yield found
