"""The board in a real browser: the system behind its gateway, serving the web app (web/dist),
driven by web/e2e/board.e2e.mjs in Debian's headless Chromium (playwright-core) as two people
would use it. Each scenario leaves screenshots in $TASKWIRE_ARTIFACTS (default
web/e2e/artifacts). Skipped where Chromium or Node.js is missing (scripts/tools.sh installs
Chromium when run as root).

The system is started here rather than by `gateway_system` (conftest.py): the notifier runs
under a supervisor of its own, so that a scenario can stop it and start it again, which one
supervisor of every service does not allow (it stops them all when one exits)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as redis
from aio_pika.abc import AbstractRobustConnection

from taskwire.testkit.infra import Infra
from taskwire.testkit.running import read_until, run_environment, supervisor

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
CHROMIUM = os.environ.get("TASKWIRE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("TASKWIRE_ARTIFACTS") or WEB / "e2e" / "artifacts")
# Everything but the notifier runs under one supervisor; the notifier under its own, so that a
# test can stop it and start it again (a supervisor stops every service when one exits).
REST = ("projects", "tasks", "aggregator", "gateway")
SCRIPT_SECONDS = 240

pytestmark = [
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.skipif(shutil.which("npm") is None, reason="Node.js with npm is not installed"),
]


@pytest.fixture(scope="module")
def web_built() -> None:
    """web/dist and web/node_modules (playwright-core) up to date: web/build.sh."""
    done = subprocess.run(
        ["bash", str(WEB / "build.sh")], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


class System:
    """The services behind the gateway, the notifier apart; their output in the artifacts."""

    def __init__(self, env: dict[str, str], infra: Infra, stack: contextlib.AsyncExitStack) -> None:
        self.env = env
        self.infra = infra
        self.stack = stack
        self.notifier: asyncio.subprocess.Process | None = None
        self.log = (ARTIFACTS / f"system-{env['TASKWIRE_GATEWAY_PORT']}.log").open("a")
        self.drains: list[asyncio.Task[None]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['TASKWIRE_GATEWAY_PORT']}"

    async def start(self, *names: str) -> asyncio.subprocess.Process:
        process = await self.stack.enter_async_context(supervisor(self.env, *names))
        assert process.stdout is not None
        seen: list[str] = []
        wanted = [f"{name} ready at" for name in names if name != "gateway"]
        wanted += ["gateway ready"] if "gateway" in names else []
        try:
            await asyncio.wait_for(read_until(process.stdout, wanted, seen), 90)
        finally:
            self.log.writelines(seen)
        self.drains.append(asyncio.create_task(self._drain(process.stdout)))
        return process

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.log.write(line.decode(errors="replace"))

    async def stop_notifier(self) -> None:
        assert self.notifier is not None
        self.notifier.terminate()
        await asyncio.wait_for(self.notifier.wait(), 30)

    async def flush_redis(self) -> None:
        """Every key of this test's Redis prefix: the rooms' numbers, epochs and history."""
        client = redis.Redis.from_url(self.infra.redis_url)
        try:
            prefix = self.env["TASKWIRE_REDIS_KEY_PREFIX"]
            keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()

    async def close(self) -> None:
        for drain in self.drains:
            drain.cancel()
        self.log.close()


@pytest.fixture
async def system(
    web_built: None,
    infra: Infra,
    unique: str,
    exchange_names: tuple[str, str],
    amqp: AbstractRobustConnection,
) -> AsyncIterator[System]:
    async with (
        run_environment(infra, unique, exchange_names, amqp) as env,
        contextlib.AsyncExitStack() as stack,
    ):
        found = System(env, infra, stack)
        try:
            found.notifier = await found.start("notifier")
            await found.start(*REST)
            yield found
        finally:
            await found.close()


async def run_scenarios(system: System, *names: str) -> None:
    """Runs web/e2e/board.e2e.mjs on `names`, doing what it asks of the system; fails with its
    output unless it passes."""
    env = dict(os.environ) | {
        "TASKWIRE_E2E_GATEWAY": system.url,
        "TASKWIRE_ARTIFACTS": str(ARTIFACTS),
        "TASKWIRE_CHROMIUM": CHROMIUM,
    }
    node = await asyncio.create_subprocess_exec(
        "node",
        str(WEB / "e2e" / "board.e2e.mjs"),
        *names,
        cwd=WEB,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    stdout, stdin = node.stdout, node.stdin
    assert stdout is not None
    assert stdin is not None
    output: list[str] = []

    async def converse() -> None:
        while raw := await stdout.readline():
            line = raw.decode(errors="replace")
            output.append(line)
            request = line.strip().removeprefix("@@ ") if line.startswith("@@ ") else None
            if request == "stop-notifier":
                await system.stop_notifier()
            elif request == "flush-redis-and-start-notifier":
                await system.flush_redis()
                system.notifier = await system.start("notifier")
            elif request is not None:
                raise AssertionError(f"the browser script asked for {request!r}")
            if request is not None:
                stdin.write(b"@@ done\n")
                await stdin.drain()

    try:
        await asyncio.wait_for(converse(), SCRIPT_SECONDS)
        code = await asyncio.wait_for(node.wait(), 30)
    finally:
        if node.returncode is None:
            node.kill()
            await node.wait()
    (ARTIFACTS / f"{'-'.join(names)}.log").write_text("".join(output))
    assert code == 0, "".join(output)


def test_the_board_type_checks_and_its_model_tests_pass(web_built: None) -> None:
    """tsc --noEmit (strict) and vitest: rank order, pending writes, a drop's neighbours."""
    for script in ("typecheck", "test"):
        command = ["npm", "run", script]
        done = subprocess.run(
            command, cwd=WEB, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


async def test_two_people_see_each_others_changes_live(system: System) -> None:
    """1 (live drag within a second, counts), 2 (offline, then all five changes without a
    reload) and 5 (the same card dragged at once by both: one wins, the other is told); every
    page loads in under a second. Then a board with some work on it, for the README
    (artifacts/board.png)."""
    await run_scenarios(system, "two-members", "offline", "race", "showcase")


async def test_a_restarted_notifier_that_lost_redis_resyncs_the_board(system: System) -> None:
    """3: the board says "resynced" and shows the tasks as stored."""
    await run_scenarios(system, "resync")


async def test_a_removed_member_s_board_stops_and_says_why(system: System) -> None:
    """4: "You no longer have access to this workspace", and no more updates."""
    await run_scenarios(system, "removed")
