"""CPU used by each process of a pipeline, from /proc: what bench/pipeline.py divides by writes.

A process belongs to a group by its command line, or else to its parent's group: each service
(`taskwire-<name> run` and whatever it starts), nginx, the supervisor, the baseline, the load
generator (reported, never counted in a system's total); and, wherever they were started from,
every Postgres process (the postmaster and all backends), RabbitMQ's `beam.smp` and
`redis-server`. A backend that exits within a step takes its CPU with it: the pools here keep
their connections, so few do.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SHARED = {"postgres": "postgres", "beam.smp": "rabbitmq", "redis-server": "redis"}
NOT_COUNTED = {"load generator"}


@dataclass(frozen=True)
class Proc:
    ppid: int
    comm: str
    cmdline: str
    cpu: float  # seconds of user and system time so far


def read(pid: int) -> Proc | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return None
    comm = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat.rsplit(")", 1)[1].split()
    return Proc(int(fields[1]), comm, cmdline, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)


def label(proc: Proc, load: int | None, pid: int) -> str | None:
    if pid == load:
        return "load generator"
    if proc.comm in SHARED:
        return SHARED[proc.comm]
    if proc.comm.startswith("nginx"):
        return "nginx"
    for service in ("projects", "tasks", "aggregator", "notifier"):
        if f"taskwire-{service}" in proc.cmdline:
            return service
    if "pipeline_baseline" in proc.cmdline:
        return "baseline"
    if "supervise.py" in proc.cmdline or "gateway.py" in proc.cmdline:
        return "supervisor"
    return None


def usage(load: int | None = None) -> dict[str, float]:
    """CPU seconds so far by group: the shared servers, and this process's descendants."""
    procs = {int(p): found for p in os.listdir("/proc") if p.isdigit() and (found := read(int(p)))}
    groups: dict[int, str | None] = {}

    def group(pid: int) -> str | None:
        if pid not in groups:
            proc = procs.get(pid)
            if proc is None or pid == os.getpid() or pid <= 1:
                groups[pid] = None
            elif (name := label(proc, load, pid)) is not None:
                groups[pid] = name
            else:
                groups[pid] = group(proc.ppid) if proc.ppid != os.getpid() else None
        return groups[pid]

    totals: dict[str, float] = {}
    for pid, proc in procs.items():
        if (name := group(pid)) is not None and (name in SHARED.values() or under(pid, procs)):
            totals[name] = totals.get(name, 0.0) + proc.cpu
    return totals


def under(pid: int, procs: dict[int, Proc]) -> bool:
    """Whether `pid` descends from this process."""
    while pid > 1 and pid in procs:
        pid = procs[pid].ppid
        if pid == os.getpid():
            return True
    return False


@dataclass
class Meter:
    """CPU by group between `start` and `stop`, less each group's idle cost over the same time."""

    idle: dict[str, float]  # CPU seconds per second by group, measured with nothing to do
    began: float = 0.0
    before: dict[str, float] | None = None

    def start(self, load: int | None = None) -> None:
        self.began, self.before = time.monotonic(), usage(load)

    def stop(self, load: int | None = None) -> dict[str, float]:
        """Seconds of CPU by group, idle cost subtracted."""
        elapsed, after, before = time.monotonic() - self.began, usage(load), self.before or {}
        return {
            name: after[name] - before.get(name, 0.0) - self.idle.get(name, 0.0) * elapsed
            for name in after
        }


async def idle_cost(seconds: float) -> dict[str, float]:
    """CPU seconds per second by group over `seconds` of nothing to do."""
    meter = Meter({})
    meter.start()
    await asyncio.sleep(seconds)
    return {name: used / seconds for name, used in meter.stop().items()}
