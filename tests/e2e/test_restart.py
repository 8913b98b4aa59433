"""A service killed mid-stream (SIGKILL, by its pid) and started again: the system catches up
with nothing lost and nothing counted twice. Services run as separate processes, as the run
command starts them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aio_pika.abc import AbstractRobustConnection

from taskwire.common.settings import DatabaseSettings
from taskwire.testkit.infra import Infra
from taskwire.testkit.running import run_environment
from taskwire.testkit.users import User, Users
from taskwire.testkit.waiting import eventually

BIN = Path(sys.executable).parent
SERVICES = ("projects", "tasks", "aggregator")


class Processes:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.running: dict[str, asyncio.subprocess.Process] = {}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.env[f'TASKWIRE_{service.upper()}_PORT']}"

    async def start(self, service: str) -> None:
        env = {
            **self.env,
            "TASKWIRE_TASKS_PROJECTS_URL": self.url("projects"),
            "TASKWIRE_AGGREGATOR_TASKS_URL": self.url("tasks"),
            "TASKWIRE_AGGREGATOR_PROJECTS_URL": self.url("projects"),
        }
        self.running[service] = await asyncio.create_subprocess_exec(
            str(BIN / f"taskwire-{service}"),
            "run",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with httpx.AsyncClient() as http:

            async def ready() -> bool:
                with contextlib.suppress(httpx.HTTPError):
                    return (await http.get(f"{self.url(service)}/readyz")).status_code == 200
                return False

            await eventually(ready, timeout=60, interval=0.2, what=f"{service} ready")

    async def kill(self, service: str) -> None:
        process = self.running.pop(service)
        os.kill(process.pid, signal.SIGKILL)  # no shutdown: in-flight work is cut off
        await process.wait()

    async def stop_all(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            await asyncio.wait_for(process.wait(), 20)


@pytest.fixture
async def processes(
    infra: Infra, unique: str, exchange_names: tuple[str, str], amqp: AbstractRobustConnection
) -> AsyncIterator[Processes]:
    async with run_environment(infra, unique, exchange_names, amqp) as env:
        found = Processes(env)
        try:
            for service in SERVICES:
                await found.start(service)
            yield found
        finally:
            await found.stop_all()


async def call(url: str, user: User, method: str, path: str, body: Any = None) -> Any:
    async with httpx.AsyncClient(base_url=f"{url}/api/v1", headers=user.auth) as http:
        response = await http.request(method, path, json=body)
    assert response.is_success, response.text
    return response.json() if response.content else None


@pytest.mark.parametrize("victim", ["aggregator", "tasks"])
async def test_a_service_killed_mid_stream_catches_up_exactly(
    processes: Processes, victim: str
) -> None:
    ada = Users(DatabaseSettings())("ada")
    projects, tasks = processes.url("projects"), processes.url("tasks")
    workspace = await call(projects, ada, "POST", "/workspaces", {"name": "Acme"})
    project = await call(
        projects,
        ada,
        "POST",
        f"/workspaces/{workspace['id']}/projects",
        {"key": "KILL", "name": "K"},
    )
    done = next(
        s["id"]
        for s in (await call(projects, ada, "GET", f"/projects/{project['id']}"))["statuses"]
        if s["category"] == "done"
    )
    made: list[str] = []

    async def stream(count: int) -> None:
        for n in range(count):
            task = await call(
                tasks, ada, "POST", f"/projects/{project['id']}/tasks", {"title": f"{n}"}
            )
            made.append(task["id"])
            if n % 3 == 0:
                await call(tasks, ada, "POST", f"/tasks/{task['id']}/move", {"status_id": done})

    if victim == "tasks":  # its API is down while it restarts: kill it between two writes
        await stream(30)
        await processes.kill(victim)
        await processes.start(victim)
    else:  # a consumer: kill it while the writes go on and their events stream in
        writing = asyncio.create_task(stream(30))
        await eventually(lambda: len(made) >= 10, what="events streaming")
        await processes.kill(victim)
        await processes.start(victim)
        await writing
    await stream(30)

    truth = {"total": 60, "done": 20, "todo": 40}

    async def caught_up() -> bool:
        shown = await call(projects, ada, "GET", f"/projects/{project['id']}")
        counts = shown["counts"]
        return all(counts[k] == v for k, v in truth.items()) and counts["archived"] == 0

    await eventually(caught_up, timeout=30, interval=0.2, what=f"counts {truth}")
    assert len(set(made)) == 60
