"""The system end to end: every service running together (in the test's loop, as processes, or
behind the gateway) on the test's own databases and exchanges."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.common.settings import DatabaseSettings
from taskwire.testkit.infra import Infra
from taskwire.testkit.running import read_until, run_environment, supervisor
from taskwire.testkit.users import Users

SERVICES = ("projects", "tasks", "aggregator", "notifier")


@pytest.fixture
def users() -> Users:
    """Callers with tokens every service accepts (the development signing key)."""
    return Users(DatabaseSettings(environment="development"))


@dataclass
class GatewaySystem:
    """The system as the run command starts it: `env` has every port; `output`, what its
    supervisor has printed so far."""

    env: dict[str, str]
    output: list[str] = field(default_factory=list)

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.env['TASKWIRE_GATEWAY_PORT']}"

    def service(self, name: str) -> str:
        return f"http://127.0.0.1:{self.env[f'TASKWIRE_{name.upper()}_PORT']}"


@pytest.fixture
async def gateway_system(
    infra: Infra, unique: str, exchange_names: tuple[str, str], amqp: AbstractRobustConnection
) -> AsyncIterator[GatewaySystem]:
    """Every service its own process behind the gateway, on the test's own infrastructure; its
    output is read all along, so that a long test never stalls it on a full pipe."""
    async with (
        run_environment(infra, unique, exchange_names, amqp) as env,
        supervisor(env) as process,
    ):
        assert process.stdout is not None
        running = GatewaySystem(env)
        wanted = [f"{name} ready at" for name in SERVICES]
        await asyncio.wait_for(
            read_until(process.stdout, [*wanted, "gateway ready"], running.output), 90
        )

        async def drain(stream: asyncio.StreamReader) -> None:
            while line := await stream.readline():
                running.output.append(line.decode(errors="replace"))

        reading = asyncio.create_task(drain(process.stdout))
        try:
            yield running
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading


@pytest.fixture
def gateway(gateway_system: GatewaySystem) -> str:
    """The gateway's URL (REST under /api/v1, the feed at /ws)."""
    return gateway_system.gateway
