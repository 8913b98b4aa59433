"""The run command's supervisor: every service as its own process, ready, stopped cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aio_pika.abc import AbstractRobustConnection

from tests.support.databases import database_url, drop_database
from tests.support.infra import Infra
from tests.support.ports import free_port

SUPERVISOR = Path(__file__).resolve().parents[1] / "scripts" / "supervise.py"


@pytest.fixture
async def environment(
    infra: Infra, unique: str, exchange_names: tuple[str, str], amqp: AbstractRobustConnection
) -> AsyncIterator[dict[str, str]]:
    names = {svc: f"tw_{svc}_run_{unique}" for svc in ("projects", "tasks", "aggregator")}
    env = dict(os.environ)
    env["TASKWIRE_NOTIFIER_PORT"] = str(free_port())
    env["TASKWIRE_NOTIFIER_CONSUMER_QUEUE"] = f"notifier.run.t{unique}"
    for svc, name in names.items():
        prefix = f"TASKWIRE_{svc.upper()}_"
        env[prefix + "DATABASE_URL"] = database_url(infra.postgres_admin_url, name)
        env[prefix + "PORT"] = str(free_port())
        env[prefix + "CONSUMER_QUEUE"] = f"{svc}.run.t{unique}"
    env |= {
        "TASKWIRE_AMQP_URL": infra.amqp_url,
        "TASKWIRE_EXCHANGE": exchange_names[0],
        "TASKWIRE_DEAD_LETTER_EXCHANGE": exchange_names[1],
        "TASKWIRE_REDIS_KEY_PREFIX": f"tw:run{unique}:",
    }
    try:
        yield env
    finally:
        channel = await amqp.channel()
        for svc in [*names, "notifier"]:
            for queue in (f"{svc}.run.t{unique}", f"{svc}.run.t{unique}.dlq"):
                await channel.queue_delete(queue)
        for name in names.values():
            await drop_database(infra.postgres_admin_url, name)


async def _read_until(stream: asyncio.StreamReader, wanted: list[str], seen: list[str]) -> None:
    while not all(any(w in line for line in seen) for w in wanted):
        line = await stream.readline()
        if not line:
            raise AssertionError(f"output ended before {wanted}:\n" + "".join(seen))
        seen.append(line.decode(errors="replace"))


@contextlib.asynccontextmanager
async def supervisor(env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    """scripts/supervise.py as the run command starts it; killed if a test leaves it running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SUPERVISOR),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_every_service_runs_is_ready_and_stops_on_ctrl_c(
    environment: dict[str, str],
) -> None:
    seen: list[str] = []
    async with supervisor(environment) as process:
        assert process.stdout is not None
        wanted = ["projects ready at", "tasks ready at", "aggregator ready at", "notifier ready at"]
        await asyncio.wait_for(_read_until(process.stdout, wanted, seen), 90)
        assert any(line.lstrip().startswith("tasks |") for line in seen), seen
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(_read_until(process.stdout, ["==> stopped"], seen), 30)
        assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_a_service_that_dies_is_reported_and_stops_the_others(
    environment: dict[str, str],
) -> None:
    environment["TASKWIRE_TASKS_PORT"] = "0"  # refused by its settings: the service exits
    seen: list[str] = []
    async with supervisor(environment) as process:
        assert process.stdout is not None
        wanted = ["!!! tasks exited with code", "==> stopped"]
        await asyncio.wait_for(_read_until(process.stdout, wanted, seen), 90)
        assert await asyncio.wait_for(process.wait(), 30) == 1
        assert any("TASKWIRE_TASKS_PORT" in line for line in seen), "".join(seen)
