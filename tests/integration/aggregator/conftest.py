"""The aggregator on real infrastructure, isolated per test: its own database (cloned from a
template migrated once), exchanges, queue and Redis key prefix (the fixtures of
tests/support/service_fixtures.py, for the service named here). A tap reads what it emits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.aggregator.app import create_app
from taskwire.aggregator.settings import AggregatorSettings
from taskwire.common.runtime import ServiceRuntime
from taskwire.testkit.counts import CountsDb
from taskwire.testkit.infra import Infra
from tests.support.amqp import Publisher
from tests.support.service_fixtures import ServiceUnderTest

# Nothing listens here: a test that needs another service starts it and overrides the URL.
NO_SERVICE = "http://127.0.0.1:9"


@pytest.fixture
def service(aggregator_template: str) -> ServiceUnderTest:
    return ServiceUnderTest("aggregator", aggregator_template, create_app, routes=("project.#",))


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
