"""The run command's supervisor: every service as its own process, ready, stopped cleanly."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator

import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.testkit.infra import Infra
from taskwire.testkit.ports import listening
from taskwire.testkit.running import read_until, run_environment, supervisor


@pytest.fixture
async def environment(
    infra: Infra, unique: str, exchange_names: tuple[str, str], amqp: AbstractRobustConnection
) -> AsyncIterator[dict[str, str]]:
    async with run_environment(infra, unique, exchange_names, amqp) as env:
        # A shell that never named an environment: the run command says development itself.
        env.pop("TASKWIRE_ENVIRONMENT")
        yield env


async def test_every_service_runs_is_ready_and_stops_on_ctrl_c(
    environment: dict[str, str],
) -> None:
    seen: list[str] = []
    async with supervisor(environment) as process:
        assert process.stdout is not None
        wanted = [f"{name} ready at" for name in ("projects", "tasks", "aggregator", "notifier")]
        wanted.append("gateway ready at")
        await asyncio.wait_for(read_until(process.stdout, wanted, seen), 90)
        assert any(line.lstrip().startswith("tasks |") for line in seen), seen
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(read_until(process.stdout, ["==> stopped"], seen), 30)
        assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_a_service_that_dies_is_reported_and_stops_the_others(
    environment: dict[str, str],
) -> None:
    environment["TASKWIRE_TASKS_PORT"] = "0"  # refused by its settings: the service exits
    seen: list[str] = []
    async with supervisor(environment, "projects", "tasks", "aggregator") as process:
        assert process.stdout is not None
        wanted = ["!!! tasks exited with code", "==> stopped"]
        await asyncio.wait_for(read_until(process.stdout, wanted, seen), 90)
        assert await asyncio.wait_for(process.wait(), 30) == 1
        assert any("TASKWIRE_TASKS_PORT" in line for line in seen), "".join(seen)


async def test_a_test_that_leaves_the_system_running_leaves_no_service_behind(
    environment: dict[str, str],
) -> None:
    port = int(environment["TASKWIRE_PROJECTS_PORT"])
    async with supervisor(environment, "projects") as process:
        assert process.stdout is not None
        await asyncio.wait_for(read_until(process.stdout, ["projects ready at"], []), 90)
    assert process.returncode is not None
    assert not await listening(port), f"the projects service still answers on {port}"
