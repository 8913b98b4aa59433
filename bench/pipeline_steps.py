"""One system at one rate, for bench/pipeline.py: the load generator in a process of its own
(bench/pipeline_load.py), the CPU meter around it, and the climb from rate to rate."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench import pipeline_profile
from bench.pipeline_cpu import Meter, idle_cost
from bench.pipeline_report import AT, Step
from taskwire.testkit.users import User

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Target:
    name: str
    url: str
    user: User
    workspace: str
    project: str
    statuses: list[str]  # where a task is created first, then where it may move
    queued: Callable[[], Awaitable[dict[str, int]]]
    uses: frozenset[str] | None = None  # the groups of processes it runs on; None: all


async def step(target: Target, rate: float, seconds: float, args: argparse.Namespace) -> Step:
    host, _, port = target.url.removeprefix("http://").partition(":")
    config = {
        "host": host, "port": int(port), "token": target.user.token, "rate": rate,
        "project": target.project, "workspace": target.workspace, "statuses": target.statuses,
        "seconds": seconds, "grace": args.grace, "watchers": args.watchers,
    }  # fmt: skip
    command = [sys.executable, "-m", "bench.pipeline_load", orjson.dumps(config).decode()]
    # The figures are one line: every latency, thousands of them at the higher rates.
    pipe, limit = asyncio.subprocess.PIPE, 1 << 26
    load = await asyncio.create_subprocess_exec(*command, stdout=pipe, cwd=ROOT, limit=limit)
    output = load.stdout
    assert output is not None

    async def phase() -> dict[str, Any]:
        if not (line := await output.readline()):
            raise SystemExit(f"the load generator stopped with {await load.wait()}")
        found: dict[str, Any] = orjson.loads(line)
        return found

    meter = Meter(args.idle_cost)
    await phase()  # the first write is due
    meter.start(load.pid)
    profiling = args.profile and target.uses is None and rate == args.profile_at
    spies = pipeline_profile.record(args.profile, rate, seconds) if profiling else []
    await phase()  # the last write is answered
    queued = await target.queued()
    figures = await phase()
    await settle(target)  # the backlog's work is this rate's cost too
    cpu = meter.stop(load.pid)
    # It has exited by now, gone from /proc: its own count, from the first write to the last frame.
    cpu["load generator"] = figures["load_cpu_ms"] / 1000
    if target.uses is not None:  # what this system does not use is not its cost
        cpu = {group: used for group, used in cpu.items() if group in target.uses}
    await load.wait()
    if spies:
        pipeline_profile.finish(spies, args.profile, rate)
    return Step(rate, figures, cpu, queued)


async def climb(target: Target, args: argparse.Namespace) -> list[Step]:
    """A warm-up, the idle cost, then each rate in turn; up to the first rate past `AT` that the
    system does not sustain (higher ones would only pile more on what already queues)."""
    print(f"{target.name}: warming up", flush=True)
    args.idle_cost = {}
    await step(target, 10, 3, args)
    args.idle_cost = await idle_cost(args.idle)
    shown = {g: round(c * 100, 1) for g, c in args.idle_cost.items()}
    print(f"{target.name}: idle cost, % of a core: {shown}", flush=True)
    steps = []
    for rate in args.rates:
        steps.append(done := await step(target, rate, args.seconds, args))
        print(f"{target.name}: {done.line()}", flush=True)
        if not done.sustained and rate >= AT:
            break
    return steps


async def settle(target: Target) -> None:
    """Until nothing is queued (at most a minute): a backlog is not the next rate's to pay."""
    for _ in range(120):
        if not any((await target.queued()).values()):
            return
        await asyncio.sleep(0.5)
