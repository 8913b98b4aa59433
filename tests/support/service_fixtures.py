"""The fixtures of a database-backed service under test, written once for every service: its own
database cloned from its template, a tap bound to the test's exchange before the app starts, the
app running with its lifespan, a client, users, the bus. A service's conftest.py says which
service (`service`) and on which settings (`settings`); the tests/conftest.py registers this
module as a plugin, so these fixtures exist in every folder that defines those two."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection
from fastapi import FastAPI

from taskwire.common.runtime import ServiceRuntime
from taskwire.testkit.infra import Infra
from taskwire.testkit.users import Users
from tests.support.amqp import EventTap, open_tap
from tests.support.bus import Bus
from tests.support.service import asgi_client, cloned_database, running


@dataclass(frozen=True)
class ServiceUnderTest:
    """What tells one service's tests from another's."""

    name: str  # names the test's database and the client's host
    template: str  # its database, migrated once per session
    create_app: Callable[[Any], FastAPI]  # the app on the test's settings
    routes: tuple[str, ...] = ("#",)  # what the tap reads from the test's exchange


@pytest.fixture
async def database_url(infra: Infra, unique: str, service: ServiceUnderTest) -> AsyncIterator[str]:
    async with cloned_database(infra, f"tw_{service.name}_{unique}", service.template) as url:
        yield url


@pytest.fixture
async def tap(
    amqp: AbstractRobustConnection, exchange_names: tuple[str, str], service: ServiceUnderTest
) -> EventTap:
    return await open_tap(amqp, exchange_names[0], *service.routes)


@pytest.fixture
async def app(
    service: ServiceUnderTest, settings: Any, tap: EventTap, amqp: AbstractRobustConnection
) -> AsyncIterator[FastAPI]:
    """The app with its lifespan (relay, consumers), once the tap listens (hence `tap`)."""
    application = service.create_app(settings)
    async with running(application, amqp, settings.consumer_queue) as started:
        yield started


@pytest.fixture
def runtime(app: FastAPI) -> ServiceRuntime:
    found: ServiceRuntime = app.state.runtime
    return found


@pytest.fixture
async def client(service: ServiceUnderTest, app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app, f"http://{service.name}.test") as c:
        yield c


@pytest.fixture
def users(settings: Any) -> Users:
    """Callers with tokens the service on `settings` accepts."""
    return Users(settings)


@pytest.fixture
def bus(tap: EventTap, database_url: str) -> Bus:
    return Bus(tap, database_url)
