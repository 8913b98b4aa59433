"""Run Taskwire's services on this machine, each as its own process, and watch them.

    python scripts/supervise.py [SERVICE ...]      (default: every service)

Each service runs `taskwire-<service> run` (migrate, then serve with its relay and consumers).
Its output is shown line by line behind its name; once its /readyz answers, the service is
reported ready with its URL. A service that exits is reported with its exit code and the others
are stopped (a half-running system would hide the failure). Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

SERVICES = {"projects": 8001, "tasks": 8002, "aggregator": 8003, "notifier": 8004, "gateway": 8080}
GATEWAY = Path(__file__).resolve().parent / "gateway.py"
# Who calls whom over HTTP (read-through, authorisation, reconcile): each is told the others'
# URLs as this supervisor runs them, unless the environment already names one.
PEERS = {
    "TASKWIRE_TASKS_PROJECTS_URL": "projects",
    "TASKWIRE_AGGREGATOR_PROJECTS_URL": "projects",
    "TASKWIRE_AGGREGATOR_TASKS_URL": "tasks",
    "TASKWIRE_NOTIFIER_PROJECTS_URL": "projects",
}
# What a local run assumes unless the environment says otherwise: lines read by a person behind
# a service's name (text, not JSON); the development environment, the only one whose services
# accept the development secrets (a service never assumes it by itself).
LOCAL_DEFAULTS = {"TASKWIRE_LOG_FORMAT": "text", "TASKWIRE_ENVIRONMENT": "development"}
STOP_GRACE_SECONDS = 10.0


@dataclass
class Service:
    name: str
    url: str
    process: asyncio.subprocess.Process | None = None


def _url(name: str, default_port: int) -> str:
    prefix = f"TASKWIRE_{name.upper()}_"
    host = os.environ.get(prefix + "HOST", "127.0.0.1")
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{host}:{os.environ.get(prefix + 'PORT', default_port)}"


def _command(name: str, bin_dir: Path) -> list[str]:
    """`taskwire-<service> run` (migrate, then serve); the gateway is nginx (scripts/gateway.py)."""
    if name == "gateway":
        return [sys.executable, str(GATEWAY)]
    return [str(bin_dir / f"taskwire-{name}"), "run"]


async def _echo(name: str, output: asyncio.StreamReader) -> None:
    width = max(map(len, SERVICES))
    async for line in output:
        text = line.decode(errors="replace").rstrip()
        print(f"{name:>{width}} | {text}", flush=True)


async def _announce_ready(service: Service) -> None:
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{service.url}/readyz")).status_code == 200:
                    print(f"==> {service.name} ready at {service.url}", flush=True)
                    return
            await asyncio.sleep(0.5)


async def _stop(services: list[Service]) -> None:
    running = [s.process for s in services if s.process and s.process.returncode is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_SECONDS)
        except TimeoutError:
            process.kill()
            await process.wait()


async def supervise(names: list[str]) -> int:
    bin_dir = Path(sys.executable).parent
    services = [Service(name, _url(name, SERVICES[name])) for name in names]
    peers = {
        variable: _url(peer, SERVICES[peer])
        for variable, peer in PEERS.items()
        if variable not in os.environ
    }
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    helpers: list[asyncio.Task[None]] = []
    for service in services:
        process = service.process = await asyncio.create_subprocess_exec(
            *_command(service.name, bin_dir),
            env={**LOCAL_DEFAULTS, **os.environ, **peers},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops each in turn
        )
        assert process.stdout is not None  # stdout=PIPE
        helpers += [
            asyncio.create_task(_echo(service.name, process.stdout)),
            asyncio.create_task(_announce_ready(service)),
        ]
    exits = {asyncio.create_task(s.process.wait()): s for s in services if s.process}
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*exits, stopping], return_when=asyncio.FIRST_COMPLETED)
    code = 0
    for task in done:
        if task in exits:
            dead = exits[task]
            print(
                f"!!! {dead.name} exited with code {task.result()}; stopping the others", flush=True
            )
            code = 1
    if code == 0:
        print("==> stopping", flush=True)
    await _stop(services)
    for helper in helpers:
        helper.cancel()
    print("==> stopped", flush=True)
    return code


def main() -> None:
    names = sys.argv[1:] or list(SERVICES)
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        sys.exit(f"unknown service(s): {', '.join(unknown)}; known: {', '.join(SERVICES)}")
    sys.exit(asyncio.run(supervise(names)))


if __name__ == "__main__":
    main()
