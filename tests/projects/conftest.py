"""The projects service on real infrastructure, isolated per test.

A template database is migrated once per session; each test clones it (CREATE DATABASE ...
TEMPLATE), runs the app with its lifespan against the test's own exchanges and consumer queue,
and binds an event tap to everything its exchange routes before the app starts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection
from fastapi import FastAPI

from taskwire.common.runtime import ServiceRuntime
from taskwire.projects.app import create_app
from taskwire.projects.settings import ProjectsSettings
from tests.projects.helpers import Api, Bus, Users
from tests.support.amqp import EventTap, open_tap
from tests.support.infra import Infra
from tests.support.service import asgi_client, cloned_database, running

MAX_BODY_BYTES = 4096


@pytest.fixture
async def database_url(infra: Infra, unique: str, projects_template: str) -> AsyncIterator[str]:
    async with cloned_database(infra, f"tw_projects_{unique}", projects_template) as url:
        yield url


@pytest.fixture
def settings(
    infra: Infra, database_url: str, exchange_names: tuple[str, str], unique: str
) -> ProjectsSettings:
    exchange, dead_letters = exchange_names
    return ProjectsSettings(
        environment="development",
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
    async with running(create_app(settings), amqp, settings.consumer_queue) as application:
        yield application


@pytest.fixture
def runtime(app: FastAPI) -> ServiceRuntime:
    found: ServiceRuntime = app.state.runtime
    return found


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app, "http://projects.test") as c:
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
