"""Overload, shed fairly: one caller flooding the tasks service beside one that behaves.

Starts the projects and tasks services and the gateway as the run command does
(scripts/supervise.py, each its own process, on a database, exchange and queues of the run's
own), then, from load processes of their own (bench/shed_load.py):
  1. capacity: the flood's mix (lists of random project ids, each a directory miss and a read
     through to the projects service; creates; lists of a real board) from 32 connections back
     to back, straight to the tasks service; answers a second that did the work (2xx, and 404
     for the random ids);
  2. against the tasks service itself (its own shedding, as behind a gateway that let a flood
     through): a well-behaved caller (reads and creates on its own board, from another
     address) alone at --rate, then beside the flood at --factor times the capacity;
  3. the same through the gateway at its default limits (which hold one caller to its rate).
Prints for 2 and 3, as ratios: the calm caller's success rate and its p99 against its p99
alone; goodput against capacity; the share of answers that are neither the work nor 429/503
with Retry-After; the longest request; and the service's CPU in each phase.

    uv run python bench/overload.py [--seconds 15] [--rate 50] [--factor 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.load import http_request, percentile
from taskwire.common.settings import DatabaseSettings
from taskwire.testkit.gateway import SERVICES
from taskwire.testkit.infra import provide_infra
from taskwire.testkit.running import read_until, run_environment, supervisor
from taskwire.testkit.users import User, Users

LOAD = Path(__file__).with_name("shed_load.py")
Answers = list[list[Any]]  # [status, seconds, retry_after]


def useful(status: int) -> bool:
    """The service did the work: an answer, a 404 for an id that does not exist included."""
    return 200 <= status < 300 or status == 404


def shed_well(answer: list[Any]) -> bool:
    return answer[0] in (429, 503) and bool(answer[2])


def requests(user: User, *rows: tuple[str, str, dict[str, Any] | None]) -> list[str]:
    headers = {**user.auth, "Content-Type": "application/json"}
    return [
        http_request(
            method, f"/api/v1{path}", json.dumps(body).encode() if body else b"", headers
        ).decode("latin-1")
        for method, path, body in rows
    ]


async def run_load(port: int, seconds: float, callers: list[dict[str, Any]]) -> dict[str, Any]:
    # Awaited, never run blocking: this loop keeps draining the services' output meanwhile, and
    # a service whose output is not read stalls on its next log line.
    spec = {"host": "127.0.0.1", "port": port, "seconds": seconds, "callers": callers}
    load = await asyncio.create_subprocess_exec(
        sys.executable,
        str(LOAD),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await load.communicate(json.dumps(spec).encode())
    if load.returncode != 0:
        raise SystemExit(f"the load process failed:\n{err.decode()}")
    found: dict[str, Any] = json.loads(out)
    return found


def p99(answers: Answers) -> float:
    return percentile([a[1] for a in answers if useful(a[0])], 0.99)


async def boards(projects: str, tasks: str, users: Users) -> tuple[User, User, str, str, str]:
    """The flooder's board and the well-behaved caller's, with one task on the latter."""
    ada, mallory = users("ada"), users("mallory")
    made: list[str] = []
    async with httpx.AsyncClient(timeout=30) as http:
        for user in (mallory, ada):
            ws = (
                await http.post(
                    f"{projects}/api/v1/workspaces", json={"name": "W"}, headers=user.auth
                )
            ).json()["id"]
            project = await http.post(
                f"{projects}/api/v1/workspaces/{ws}/projects",
                json={"key": "BRD", "name": "Board"},
                headers=user.auth,
            )
            assert project.status_code == 201, project.text
            made.append(project.json()["id"])
        task = await http.post(
            f"{tasks}/api/v1/projects/{made[1]}/tasks", json={"title": "known"}, headers=ada.auth
        )
        assert task.status_code == 201, task.text
    return mallory, ada, made[0], made[1], task.json()["id"]


def service_pid(port: int) -> int | None:
    """The tasks service of this run: the process started with this run's port."""
    mark = f"TASKWIRE_TASKS_PORT={port}".encode()
    for entry in Path("/proc").iterdir():
        try:
            if b"taskwire-tasks" in (entry / "cmdline").read_bytes() and mark in (
                entry / "environ"
            ).read_bytes().split(b"\0"):
                return int(entry.name)
        except (OSError, ValueError):
            continue
    return None


def cpu_seconds(pid: int | None) -> float:
    """User and system CPU the process has used (0 where /proc does not tell)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(name: str, answers: Answers, seconds: float, cores: float | None = None) -> None:
    ok = [a for a in answers if useful(a[0])]
    statuses: dict[int, int] = {}
    for a in answers:
        statuses[a[0]] = statuses.get(a[0], 0) + 1
    p50 = percentile([a[1] for a in ok], 0.5)
    print(
        f"  {name:<28} {len(ok) / seconds:7.0f} done/s   p50 {p50:7.2f} ms"
        f"   p99 {p99(answers):7.2f} ms   statuses {dict(sorted(statuses.items()))}"
        + ("" if cores is None else f"\n  {'':<28} the service used {cores:.2f} of a core"),
        flush=True,
    )


async def bench(args: argparse.Namespace) -> None:
    users = Users(DatabaseSettings(environment="development"))
    unique = uuid.uuid4().hex[:10]
    names = (f"taskwire.events.bench{unique}", f"taskwire.dlx.bench{unique}")
    with provide_infra() as infra:
        amqp = await aio_pika.connect_robust(infra.amqp_url)
        try:
            async with run_environment(infra, unique, names, amqp) as env:
                await serve_and_measure(args, env, users)
        finally:
            await amqp.close()


async def keep(stream: asyncio.StreamReader, log: Path) -> None:
    with log.open("wb") as out:
        while line := await stream.readline():
            out.write(line)
            out.flush()


async def serve_and_measure(args: argparse.Namespace, env: dict[str, str], users: Users) -> None:
    # Warnings only: a line per request would be part of what is measured.
    quiet = env | {"TASKWIRE_LOG_LEVEL": "WARNING"}
    async with supervisor(quiet, "projects", "tasks", "gateway") as process:
        assert process.stdout is not None
        print("starting the projects and tasks services and the gateway ...", flush=True)
        wanted = [f"{name} ready at" for name in (*SERVICES[:2], "gateway")]
        await asyncio.wait_for(read_until(process.stdout, wanted, []), 120)
        log = Path(tempfile.gettempdir()) / f"bench-overload-{env['TASKWIRE_TASKS_PORT']}.log"
        print(f"  the services' output: {log}", flush=True)
        drain = asyncio.create_task(keep(process.stdout, log))
        try:
            await measure(args, env, users)
        finally:
            process.terminate()
            await process.wait()
            drain.cancel()


async def measure(args: argparse.Namespace, env: dict[str, str], users: Users) -> None:
    projects = f"http://127.0.0.1:{env['TASKWIRE_PROJECTS_PORT']}"
    direct, gateway = int(env["TASKWIRE_TASKS_PORT"]), int(env["TASKWIRE_GATEWAY_PORT"])
    mallory, ada, flooded, own, task = await boards(projects, f"http://127.0.0.1:{direct}", users)
    flood = requests(
        mallory,
        *[("GET", f"/projects/{uuid.uuid4()}/tasks", None) for _ in range(500)],
        *[("POST", f"/projects/{flooded}/tasks", {"title": "flood"})] * 250,
        *[("GET", f"/projects/{flooded}/tasks?limit=20", None)] * 250,
    )
    flood = [flood[i] for i in sorted(range(len(flood)), key=lambda i: (i * 7919) % len(flood))]
    calm = requests(
        ada,
        ("GET", f"/tasks/{task}", None),
        ("GET", f"/projects/{own}/tasks?limit=20", None),
        ("POST", f"/projects/{own}/tasks", {"title": "calm"}),
    )
    s, pid = args.seconds, service_pid(direct)

    async def phase(port: int, *callers: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """Each caller from its own load process, as two people's clients would be (a flood's
        process runs late under its own weight, and that must not be charged to the calm
        caller); what they were answered, and the service's CPU meanwhile, in cores."""
        used, began = cpu_seconds(pid), time.monotonic()
        answers = await asyncio.gather(*(run_load(port, s, [caller]) for caller in callers))
        cores = (cpu_seconds(pid) - used) / (time.monotonic() - began)
        return {name: found for each in answers for name, found in each.items()}, cores

    print(f"1. capacity: the flood's mix from 32 connections for {s:.0f}s", flush=True)
    probe, cores = await phase(direct, {"name": "flood", "connections": 32, "requests": flood})
    capacity = sum(useful(a[0]) for a in probe["flood"]["answers"]) / s
    report("capacity", probe["flood"]["answers"], s, cores)
    rate = capacity * args.factor
    # The calm caller from another address, as another person's browser would be.
    calm_caller = {"name": "calm", "rate": args.rate, "connections": 4, "source": "127.0.0.2"}
    calm_caller["requests"] = calm
    flood_caller = {"name": "flood", "rate": rate, "pool": 512, "requests": flood}
    places = [("the service itself", direct), ("through the gateway, at its limits", gateway)]
    for step, (where, port) in enumerate(places, start=2):
        print(
            f"{step}. {where}: a calm caller at {args.rate:.0f} req/s alone, then beside one "
            f"flooding at {rate:.0f} req/s ({args.factor:g} x capacity)",
            flush=True,
        )
        alone, _ = await phase(port, calm_caller)
        report("calm, alone", alone["calm"]["answers"], s)
        both, cores = await phase(port, flood_caller, calm_caller)
        report("flood", both["flood"]["answers"], s, cores)
        print(f"  {'':<28} its load process used {both['flood']['cpu_seconds'] / s:.2f} of a core")
        report("calm, beside the flood", both["calm"]["answers"], s)
        judge(alone["calm"]["answers"], both, capacity, s, held=port == gateway)


def judge(
    alone: Answers, both: dict[str, Any], capacity: float, seconds: float, held: bool
) -> None:
    calm: Answers = both["calm"]["answers"]
    everything: Answers = calm + both["flood"]["answers"]
    success = sum(useful(a[0]) for a in calm) / max(1, len(calm))
    slower = p99(calm) / max(p99(alone), 1e-9)
    goodput = sum(useful(a[0]) for a in everything) / seconds / capacity
    wrong = sum(not useful(a[0]) and not shed_well(a) for a in everything) / len(everything)
    longest = max(a[1] for a in everything)
    # At the gateway one caller is held to its rate, far below the service's capacity: the
    # goodput there says how little of the flood got through, not that the service collapsed.
    verdicts = [
        ("well-behaved caller's success rate", success, success >= 0.99, ">= 0.99"),
        ("its p99 beside the flood / alone", slower, slower <= 5, "<= 5"),
        ("goodput / capacity", goodput, held or goodput >= 0.8, "held" if held else ">= 0.8"),
        ("answers neither done nor shed well", wrong, wrong == 0, "0"),
        ("longest request, seconds", longest, longest < 5, "< 5"),
    ]
    print("   ratios (goal):")
    for name, value, met, goal in verdicts:
        print(f"     {name:<38} {value:8.3f}   ({goal})  {'ok' if met else 'FAIL'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="per phase")
    parser.add_argument("--rate", type=float, default=50.0, help="the well-behaved caller's")
    parser.add_argument("--factor", type=float, default=4.0, help="the flood, x capacity")
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
