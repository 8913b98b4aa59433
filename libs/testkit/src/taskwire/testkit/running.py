"""The system as the run command starts it: scripts/supervise.py, every service its own
process and the gateway in front, on a test's own infrastructure names and free ports."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from aio_pika.abc import AbstractRobustConnection

from taskwire.testkit.databases import database_url, drop_database
from taskwire.testkit.infra import Infra
from taskwire.testkit.ports import free_port

# The repository this kit is installed from (editable: libs/testkit/src/taskwire/testkit/).
SUPERVISOR = Path(__file__).resolve().parents[5] / "scripts" / "supervise.py"


@contextlib.asynccontextmanager
async def run_environment(
    infra: Infra, unique: str, exchange_names: tuple[str, str], amqp: AbstractRobustConnection
) -> AsyncIterator[dict[str, str]]:
    """The environment the run command's services get, on the test's own databases,
    exchanges, queues, ports and Redis prefix; all removed afterwards."""
    names = {svc: f"tw_{svc}_run_{unique}" for svc in ("projects", "tasks", "aggregator")}
    env = dict(os.environ)
    env["TASKWIRE_ENVIRONMENT"] = "development"  # as the run command sets it
    env["TASKWIRE_NOTIFIER_PORT"] = str(free_port())
    env["TASKWIRE_GATEWAY_PORT"] = str(free_port())
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


async def read_until(stream: asyncio.StreamReader, wanted: list[str], seen: list[str]) -> None:
    while not all(any(w in line for line in seen) for w in wanted):
        line = await stream.readline()
        if not line:
            raise AssertionError(f"output ended before {wanted}:\n" + "".join(seen))
        seen.append(line.decode(errors="replace"))


@contextlib.asynccontextmanager
async def supervisor(env: dict[str, str], *names: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """scripts/supervise.py as the run command starts it; stopped if a test leaves it running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SUPERVISOR),
        *names,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            # SIGTERM, as Ctrl-C would: the supervisor stops each service in turn. SIGKILL
            # would leave them all running, each in a session of its own, for the rest of the run.
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
