"""Services of the system running for real in a test (uvicorn on a free port, in the test's
loop), each with its own database cloned from its template and its own consumer queue, on the
exchanges the test names: shared ones to see events flow between them, private ones not to."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aio_pika.abc import AbstractRobustConnection
from fastapi import FastAPI

from taskwire.common.settings import ServiceSettings, SettingsT
from taskwire.common.telemetry import Telemetry
from taskwire.testkit.infra import Infra
from tests.support.amqp import delete_exchanges
from tests.support.service import cloned_database, serving

Builder = Callable[[dict[str, Any]], tuple[ServiceSettings, FastAPI]]


def builder(
    settings_type: type[SettingsT],
    create_app: Callable[..., FastAPI],
    telemetry: Telemetry | None = None,
    **extra: Any,
) -> Builder:
    """Settings of `settings_type` from the common options and `extra`, and the app on them
    (with this telemetry rather than the one its settings describe, when given)."""

    def build(options: dict[str, Any]) -> tuple[ServiceSettings, FastAPI]:
        settings = settings_type(**{**options, **extra})
        if telemetry is None:
            return settings, create_app(settings)
        return settings, create_app(settings, telemetry=telemetry)

    return build


@asynccontextmanager
async def serve(
    name: str,
    infra: Infra,
    template: str,
    amqp: AbstractRobustConnection,
    exchanges: tuple[str, str],
    build: Builder,
) -> AsyncIterator[str]:
    """`build(options)` makes the service's settings (from the common options given) and app."""
    unique = uuid.uuid4().hex[:10]
    async with cloned_database(infra, f"tw_{name}_{unique}", template) as url:
        settings, app = build(
            {
                "environment": "development",
                "database_url": url,
                "amqp_url": infra.amqp_url,
                "exchange": exchanges[0],
                "dead_letter_exchange": exchanges[1],
                "consumer_queue": f"{name}.t{unique}",
                "redis_url": infra.redis_url,
                "redis_key_prefix": f"tw:t{unique}:",
                "db_pool_size": 4,
                "outbox_poll_seconds": 0.5,
            }
        )
        queue = getattr(settings, "consumer_queue", None)
        try:
            async with serving(app) as base_url:
                yield base_url
        finally:
            if queue is not None:
                channel = await amqp.channel()
                for each in (queue, f"{queue}.dlq"):
                    await channel.queue_delete(each)
                await channel.close()


@asynccontextmanager
async def lone_projects_service(
    infra: Infra, unique: str, template: str, amqp: AbstractRobustConnection
) -> AsyncIterator[str]:
    """The projects service on exchanges of its own: what others learn from it here, they
    learn over REST, never from its events."""
    from taskwire.projects.app import create_app
    from taskwire.projects.settings import ProjectsSettings

    exchanges = (f"taskwire.events.t{unique}.p", f"taskwire.dlx.t{unique}.p")
    build = builder(ProjectsSettings, create_app)
    try:
        async with serve("projects", infra, template, amqp, exchanges, build) as url:
            yield url
    finally:
        await delete_exchanges(amqp, exchanges)
