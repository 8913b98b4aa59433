"""The levels of the suite, and the fixtures on real infrastructure: each test has its own
database, exchanges and key prefix.

Nothing here reaches Postgres, RabbitMQ or Redis until a test asks for a fixture that needs them
(`infra` and what depends on it), so the unit level runs where none of them is."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import hypothesis  # noqa: F401  (see below)
import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.aggregator.migrate import upgrade as upgrade_aggregator
from taskwire.projects.migrate import upgrade as upgrade_projects
from taskwire.tasks.migrate import upgrade as upgrade_tasks
from taskwire.testkit.databases import create_database, drop_database
from taskwire.testkit.infra import Infra, provide_infra
from taskwire.testkit.keys import forget_keys
from tests.support.amqp import connection_of_its_own
from tests.support.service import migrated_template
from tests.support.stack import lone_projects_service
from tests.support.system import System, running_system

# The tests run the services locally with the development secrets, which the services accept
# only in an environment named development; whatever the shell running pytest says.
os.environ["TASKWIRE_ENVIRONMENT"] = "development"

# hypothesis is imported here, at start-up, not first from deep inside a test module's import:
# CPython 3.11.7's parser then fails with "AST constructor recursion depth mismatch" when
# pytest rewrites hypothesis's modules (a CPython bug fixed in later 3.11 releases).

# Fixtures every service's tests share, told apart by the `service` and `settings` of each
# folder's conftest.py.
pytest_plugins = ["tests.support.service_fixtures"]


# A test's level is the folder it is in, and its marker: `pytest tests/unit` and `pytest -m unit`
# select the same tests.
LEVELS = ("unit", "integration", "e2e")
TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0] if item.path.is_relative_to(TESTS) else ""
        if folder not in LEVELS:
            raise pytest.UsageError(
                f"{item.nodeid}: every test lives in tests/unit, tests/integration or tests/e2e"
            )
        # Checked here, before anything runs: a unit test that would reach Postgres, RabbitMQ or
        # Redis fails the whole collection, wherever they happen to be running.
        if folder == "unit" and "infra" in getattr(item, "fixturenames", ()):
            raise pytest.UsageError(
                f"{item.nodeid} needs the infrastructure (fixture `infra`): "
                "it belongs in tests/integration"
            )
        item.add_marker(folder)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with provide_infra() as found:
        yield found


# Each service's schema, migrated once per session; a test clones it.
@pytest.fixture(scope="session")
def projects_template(infra: Infra) -> Iterator[str]:
    with migrated_template(infra, "projects", upgrade_projects) as name:
        yield name


@pytest.fixture(scope="session")
def tasks_template(infra: Infra) -> Iterator[str]:
    with migrated_template(infra, "tasks", upgrade_tasks) as name:
        yield name


@pytest.fixture(scope="session")
def aggregator_template(infra: Infra) -> Iterator[str]:
    with migrated_template(infra, "aggregator", upgrade_aggregator) as name:
        yield name


@pytest.fixture
def unique() -> str:
    """A short, unique suffix for this test's databases, exchanges, queues and keys."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
def exchange_names(unique: str) -> tuple[str, str]:
    return f"taskwire.events.t{unique}", f"taskwire.dlx.t{unique}"


@pytest.fixture
async def redis_prefix(infra: Infra, unique: str) -> AsyncIterator[str]:
    """The test's own Redis key prefix; what the test left under it is removed afterwards."""
    prefix = f"tw:t{unique}:"
    yield prefix
    await forget_keys(infra.redis_url, prefix)


@pytest.fixture
async def empty_database(infra: Infra, unique: str) -> AsyncIterator[str]:
    name = f"tw_test_{unique}"
    url = await create_database(infra.postgres_admin_url, name)
    try:
        yield url
    finally:
        await drop_database(infra.postgres_admin_url, name)


@pytest.fixture
async def amqp(
    infra: Infra, exchange_names: tuple[str, str]
) -> AsyncIterator[AbstractRobustConnection]:
    """A connection of the test's own; the test's exchanges are deleted afterwards."""
    async with connection_of_its_own(infra.amqp_url, exchange_names) as connection:
        yield connection


@pytest.fixture
async def projects_service(
    infra: Infra, unique: str, projects_template: str, amqp: AbstractRobustConnection
) -> AsyncIterator[str]:
    """The projects service over HTTP, on exchanges of its own (nothing here gets its events)."""
    async with lone_projects_service(infra, unique, projects_template, amqp) as url:
        yield url


@pytest.fixture
def templates(
    projects_template: str, tasks_template: str, aggregator_template: str
) -> dict[str, str]:
    """Each service's migrated template database, by service."""
    return {
        "projects": projects_template,
        "tasks": tasks_template,
        "aggregator": aggregator_template,
    }


@pytest.fixture
async def system(
    infra: Infra,
    templates: dict[str, str],
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
) -> AsyncIterator[System]:
    """The projects, tasks, aggregator and notifier services together on the test's exchanges."""
    async with running_system(infra, templates, amqp, exchange_names) as found:
        yield found
