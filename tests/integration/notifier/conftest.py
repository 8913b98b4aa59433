"""The notifier on real infrastructure, isolated per test: its own exchanges, queue and Redis
key prefix; the projects service runs for real (on exchanges of its own) to say who may join
which room; events are hand-made and published to the test's exchange."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.notifier.app import Notifier
from taskwire.notifier.settings import NotifierSettings
from taskwire.testkit.infra import Infra
from taskwire.testkit.ports import free_port
from tests.support.amqp import EventSender
from tests.support.notifier import running_notifier


@pytest.fixture
def overrides() -> dict[str, Any]:
    """Settings a test module changes (limits, history length)."""
    return {}


@pytest.fixture
def settings(
    infra: Infra,
    exchange_names: tuple[str, str],
    unique: str,
    redis_prefix: str,
    projects_service: str,
    overrides: dict[str, Any],
) -> NotifierSettings:
    exchange, dead_letters = exchange_names
    options: dict[str, Any] = {
        "environment": "development",
        "amqp_url": infra.amqp_url,
        "exchange": exchange,
        "dead_letter_exchange": dead_letters,
        "consumer_queue": f"notifier.t{unique}",
        "redis_url": infra.redis_url,
        "redis_key_prefix": redis_prefix,
        "projects_url": projects_service,
        "port": free_port(),
        "http_attempts": 2,
        "auth_timeout_seconds": 2.0,
    }
    return NotifierSettings(**{**options, **overrides})


@pytest.fixture
def start(
    settings: NotifierSettings, amqp: AbstractRobustConnection
) -> Callable[..., AbstractAsyncContextManager[Notifier]]:
    """Start a notifier process (in this loop) on the test's settings, with changes."""

    def starting(**changes: Any) -> AbstractAsyncContextManager[Notifier]:
        # Each its own port, as each process of a deployment has its own address.
        changes.setdefault("port", free_port())
        return running_notifier(settings.model_copy(update=changes), amqp)

    return starting


@pytest.fixture
async def notifier(
    start: Callable[..., AbstractAsyncContextManager[Notifier]],
) -> AsyncIterator[Notifier]:
    async with start() as found:
        yield found


@pytest.fixture
def events(amqp: AbstractRobustConnection, settings: NotifierSettings) -> EventSender:
    return EventSender(amqp, settings.exchange)
