"""Callers, and the projects service reaching RabbitMQ through a proxy the test can cut (as a
stopped broker) and restore."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.common.settings import DatabaseSettings
from taskwire.projects.app import create_app
from taskwire.projects.settings import ProjectsSettings
from taskwire.testkit.infra import Infra
from taskwire.testkit.users import Users
from tests.support.stack import builder, serve
from tests.support.tcp_proxy import TcpProxy, proxied_url


@dataclass(frozen=True)
class BehindProxy:
    url: str
    broker: TcpProxy


@pytest.fixture
def users() -> Users:
    """Callers with tokens every service here accepts (the test settings' signing key)."""
    return Users(DatabaseSettings(environment="development"))


@pytest.fixture
async def projects_behind_proxy(
    infra: Infra,
    projects_template: str,
    amqp: AbstractRobustConnection,
    exchange_names: tuple[str, str],
) -> AsyncIterator[BehindProxy]:
    broker = TcpProxy.to(infra.amqp_url, 5672)
    await broker.start()
    build = builder(
        ProjectsSettings,
        create_app,
        amqp_url=proxied_url(infra.amqp_url, broker),
        metrics_sample_seconds=0.2,
        outbox_poll_seconds=0.2,
    )
    try:
        async with serve("projects", infra, projects_template, amqp, exchange_names, build) as url:
            yield BehindProxy(url, broker)
    finally:
        await broker.cut()
