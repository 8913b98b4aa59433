"""The projects service on real infrastructure, isolated per test.

A template database is migrated once per session; each test clones it (CREATE DATABASE ...
TEMPLATE), runs the app with its lifespan against the test's own exchanges and consumer queue,
and binds an event tap to everything its exchange routes before the app starts (the fixtures of
tests/support/service_fixtures.py, for the service named here).
"""

from __future__ import annotations

import httpx
import pytest

from taskwire.projects.app import create_app
from taskwire.projects.settings import ProjectsSettings
from taskwire.testkit.infra import Infra
from tests.integration.projects.helpers import Api
from tests.support.service_fixtures import ServiceUnderTest

MAX_BODY_BYTES = 4096


@pytest.fixture
def service(projects_template: str) -> ServiceUnderTest:
    return ServiceUnderTest("projects", projects_template, create_app)


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
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)
