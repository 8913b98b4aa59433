"""The fault menu, injected at random and logged with their times: a replica killed or paused,
one service's link to a dependency cut or blackholed, a database's sessions terminated, and
(when the soak may touch the machine's servers) RabbitMQ stopped or killed, Redis restarted
with its data gone, Postgres restarted. Each fault is repaired after a few seconds; two
injectors at once make combinations."""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import asyncpg

from taskwire.testkit.ports import listening
from taskwire.testkit.soak.cluster import Cluster, Replica
from taskwire.testkit.soak.watchers import Watcher
from taskwire.testkit.waiting import eventually

PROCESS_FAULTS = (
    "kill replica",
    "pause replica",
    "cut link",
    "blackhole link",
    "end sessions",
    "drop feed clients",
)
SERVER_FAULTS = ("stop rabbitmq", "kill rabbitmq", "restart redis", "restart postgres")
# A paused replica stays paused past the clients' and the gateway's timeouts.
HOLD_SECONDS = (2.0, 8.0)
SERVICES_SCRIPT = Path(__file__).resolve().parents[6] / "scripts" / "services.sh"
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port",
               "6379", "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
               "--logfile", "/var/log/redis/ci.log"]  # fmt: skip


@dataclass
class Injected:
    kind: str
    target: str
    started: float
    ended: float | None = None


@dataclass
class Faults:
    cluster: Cluster
    databases: dict[str, str]  # service -> asyncpg DSN (its own database, not through a proxy)
    rng: random.Random
    servers: bool  # may the machine's Postgres, RabbitMQ and Redis be stopped?
    watchers: list[Watcher] = field(default_factory=list)
    log: list[Injected] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # faults the soak could not inject or repair
    # One fault at a time per server: two on one (a kill under a stop) would only race the tools.
    _servers: dict[str, asyncio.Lock] = field(default_factory=dict)

    @property
    def menu(self) -> tuple[str, ...]:
        return PROCESS_FAULTS + (SERVER_FAULTS if self.servers else ())

    def by_kind(self) -> Counter[str]:
        return Counter(f.kind for f in self.log)

    def last_repaired(self) -> float | None:
        ends = [f.ended for f in self.log if f.ended is not None]
        return max(ends) if ends else None

    async def run(self, stop: asyncio.Event, gap: float, order: list[str]) -> None:
        """Inject until `stop`: first every kind in `order` (so each happens at least once),
        then kinds at random; `gap` mean seconds between two."""
        queue = list(order)
        while not stop.is_set():
            await _sleep_unless(stop, gap * (0.5 + self.rng.random()))
            if stop.is_set():
                return
            kind = queue.pop(0) if queue else self.rng.choice(self.menu)
            await self.inject(kind)

    async def inject(self, kind: str) -> None:
        """Inject `kind` and repair it; a failure of the soak's own tools is kept, not raised."""
        server = next((s for s in ("rabbitmq", "redis", "postgres") if s in kind), None)
        lock = self._servers.setdefault(server or kind, asyncio.Lock())
        if server is None:
            lock = asyncio.Lock()  # the soak's own faults may overlap freely
        async with lock:
            try:
                await self._act(kind)
            except Exception as exc:
                self.errors.append(f"{kind}: {exc!r}")
                print(f"soak: fault {kind} could not be injected or repaired: {exc!r}", flush=True)
                await self._repair_servers()

    async def _repair_servers(self) -> None:
        """Whatever a failed fault left down, up again (the machine's servers above all)."""
        if self.servers:
            await _run("bash", str(SERVICES_SCRIPT), check=False)
        for replica in self.cluster.replicas:
            self.cluster.resume(replica)
            if replica.process is not None and replica.process.returncode is not None:
                await self.cluster.start(replica)
        for proxy in self.cluster.proxies.values():
            proxy.unblock()
            proxy.admit()

    async def _act(self, kind: str) -> None:
        act = {
            "kill replica": self._kill, "pause replica": self._pause, "cut link": self._cut,
            "blackhole link": self._blackhole, "end sessions": self._end_sessions,
            "drop feed clients": self._drop_watchers,
            "stop rabbitmq": self._stop_rabbitmq, "kill rabbitmq": self._kill_rabbitmq,
            "restart redis": self._restart_redis, "restart postgres": self._restart_postgres,
        }[kind]  # fmt: skip
        await act()

    def _begin(self, kind: str, target: str) -> Injected:
        fault = Injected(kind, target, time.monotonic())
        self.log.append(fault)
        print(f"soak: fault {kind} ({target})", flush=True)
        return fault

    async def _hold(self) -> None:
        await asyncio.sleep(self.rng.uniform(*HOLD_SECONDS))

    def _replica(self) -> Replica:
        return self.rng.choice(self.cluster.replicas)

    async def _kill(self) -> None:
        replica = self._replica()
        fault = self._begin("kill replica", replica.name)
        self.cluster.kill(replica)
        if replica.process is not None:
            await replica.process.wait()
        await self._hold()
        await self.cluster.start(replica)
        await self.cluster.ready(replica, timeout=90)
        fault.ended = time.monotonic()

    async def _pause(self) -> None:
        replica = self._replica()
        fault = self._begin("pause replica", replica.name)
        self.cluster.pause(replica)
        await self._hold()
        self.cluster.resume(replica)
        fault.ended = time.monotonic()

    def _link(self) -> tuple[tuple[str, str], str]:
        link = self.rng.choice(sorted(self.cluster.proxies))
        return link, f"{link[0]} to {link[1]}"

    async def _cut(self) -> None:
        link, name = self._link()
        fault = self._begin("cut link", name)
        proxy = self.cluster.proxies[link]
        proxy.refuse()
        await self._hold()
        proxy.admit()
        fault.ended = time.monotonic()

    async def _blackhole(self) -> None:
        link, name = self._link()
        fault = self._begin("blackhole link", name)
        proxy = self.cluster.proxies[link]
        proxy.blackhole()
        await self._hold()
        proxy.unblock()
        fault.ended = time.monotonic()

    async def _end_sessions(self) -> None:
        service = self.rng.choice(sorted(self.databases))
        fault = self._begin("end sessions", f"{service}'s database")
        dsn = self.databases[service]
        conn = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres")
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                dsn.rsplit("/", 1)[1],
            )
        finally:
            await conn.close()
        fault.ended = time.monotonic()

    async def _drop_watchers(self) -> None:
        dropped = [w for w in self.watchers if self.rng.random() < 0.5] or self.watchers[:1]
        fault = self._begin("drop feed clients", ", ".join(w.name for w in dropped))
        for watcher in dropped:
            watcher.drop()
        fault.ended = time.monotonic()

    async def _stop_rabbitmq(self) -> None:
        fault = self._begin("stop rabbitmq", "the broker")
        await _run("rabbitmqctl", "stop_app")
        await self._hold()
        await _run("rabbitmqctl", "start_app")
        await _answers(5672, "RabbitMQ")
        fault.ended = time.monotonic()

    async def _kill_rabbitmq(self) -> None:
        fault = self._begin("kill rabbitmq", "the broker")
        await _run("pkill", "-9", "-f", "rabbit boot", check=False)  # the node, not a tool
        await self._hold()
        await _run("rabbitmq-server", "-detached")
        await _answers(5672, "RabbitMQ", timeout=120)
        fault.ended = time.monotonic()

    async def _restart_redis(self) -> None:
        fault = self._begin("restart redis", "its data gone")
        await _run("redis-cli", "-p", "6379", "shutdown", "nosave", check=False)
        await self._hold()
        await _run(*REDIS_START)
        await _answers(6379, "Redis")
        fault.ended = time.monotonic()

    async def _restart_postgres(self) -> None:
        fault = self._begin("restart postgres", "every database")
        version = _postgres_version()
        await _run("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart",
                   "-m", "fast")  # fmt: skip
        await _answers(5432, "Postgres")
        fault.ended = time.monotonic()


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _postgres_version() -> str:
    return sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]


def _binary(name: str) -> str:
    """Server tools live in sbin, which may be off the PATH."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    return found or name


async def _run(*command: str, check: bool = True) -> None:
    process = await asyncio.create_subprocess_exec(
        _binary(command[0]), *command[1:], stdout=subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, error = await process.communicate()
    if check and process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {error.decode().strip()}")


async def _answers(port: int, what: str, timeout: float = 60.0) -> None:
    await eventually(
        partial(listening, port), timeout=timeout, interval=0.2, what=f"{what} answering again"
    )
