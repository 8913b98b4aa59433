"""`taskwire-projects run` as a process: creates and migrates its database, then serves."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.testkit.databases import database_url as url_of
from taskwire.testkit.databases import drop_database
from taskwire.testkit.infra import Infra
from taskwire.testkit.ports import free_port
from taskwire.testkit.waiting import eventually


@pytest.fixture
async def service(
    infra: Infra, unique: str, exchange_names: tuple[str, str], amqp: AbstractRobustConnection
) -> AsyncIterator[str]:
    name, queue, port = f"tw_projects_run_{unique}", f"projects.run.t{unique}", free_port()
    env = os.environ | {
        "TASKWIRE_PROJECTS_DATABASE_URL": url_of(infra.postgres_admin_url, name),
        "TASKWIRE_PROJECTS_PORT": str(port),
        "TASKWIRE_PROJECTS_CONSUMER_QUEUE": queue,
        "TASKWIRE_AMQP_URL": infra.amqp_url,
        "TASKWIRE_EXCHANGE": exchange_names[0],
        "TASKWIRE_DEAD_LETTER_EXCHANGE": exchange_names[1],
    }
    command = Path(sys.executable).parent / "taskwire-projects"
    process = await asyncio.create_subprocess_exec(
        str(command),
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        output, _ = await asyncio.wait_for(process.communicate(), 10)
        channel = await amqp.channel()
        for name_ in (queue, f"{queue}.dlq"):
            await channel.queue_delete(name_)
        await drop_database(infra.postgres_admin_url, name)
        assert b"created" in output, output.decode()


async def test_run_migrates_then_serves_until_ready(service: str) -> None:
    async with httpx.AsyncClient(base_url=service, timeout=2) as client:

        async def ready() -> bool:
            try:
                return (await client.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(ready, timeout=20, interval=0.1, what="the service ready")
        spec = (await client.get("/openapi.json")).json()
        assert "/api/v1/projects/{project_id}/statuses" in spec["paths"]
        unauthenticated = await client.get("/api/v1/workspaces")
        assert unauthenticated.status_code == 401
