"""A service under test: its template database, its app running with its lifespan, a client.

Each service's conftest names what differs (its migrations, its app factory, its queue); the
mechanics are here once.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, Literal

import httpx
import uvicorn
from aio_pika.abc import AbstractRobustConnection
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from taskwire.testkit.databases import create_database, drop_database
from taskwire.testkit.infra import Infra
from taskwire.testkit.waiting import eventually


@contextmanager
def migrated_template(
    infra: Infra, service: str, upgrade: Callable[[str], Awaitable[None]]
) -> Iterator[str]:
    """A database migrated once per session, cloned by each test (sync: outside tests' loops)."""
    name = f"tw_{service}_template_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        await upgrade(await create_database(infra.postgres_admin_url, name))

    asyncio.run(create())
    try:
        yield name
    finally:
        asyncio.run(drop_database(infra.postgres_admin_url, name))


@asynccontextmanager
async def cloned_database(infra: Infra, name: str, template: str) -> AsyncIterator[str]:
    url = await create_database(infra.postgres_admin_url, name, template=template)
    try:
        yield url
    finally:
        await drop_database(infra.postgres_admin_url, name)


@asynccontextmanager
async def running(
    application: FastAPI, amqp: AbstractRobustConnection, queue: str
) -> AsyncIterator[FastAPI]:
    """The app with its lifespan (relay, consumers); its queue and DLQ are deleted afterwards."""
    try:
        async with LifespanManager(application):
            yield application
    finally:
        channel = await amqp.channel()
        for name in (queue, f"{queue}.dlq"):
            await channel.queue_delete(name)
        await channel.close()


@asynccontextmanager
async def asgi_client(application: FastAPI, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


@asynccontextmanager
async def serving(app: Any, *, lifespan: Literal["on", "off"] = "on") -> AsyncIterator[str]:
    """Serve an ASGI app over real HTTP on a free local port, in this loop; answers its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan=lifespan, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started or task.done(), what="the server started")
        if task.done():
            task.result()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
