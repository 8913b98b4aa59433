"""The production shape on one machine: every service as two replicas (each its own process,
with its relay and its consumer: two relays per service, one leading, two consumers per queue),
the gateway in front balancing and failing over between them, service-to-service calls through
an internal nginx that does the same, and each service's connections to Postgres, RabbitMQ and
Redis through proxies of its own, so a fault can cut or blackhole one service's link alone."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from taskwire.testkit.ports import free_port
from taskwire.testkit.tcp_proxy import TcpProxy, proxied_url
from taskwire.testkit.waiting import eventually

ROOT = Path(__file__).resolve().parents[6]
SERVICES = ("projects", "tasks", "aggregator", "notifier")
WITH_DATABASE = ("projects", "tasks", "aggregator")
REPLICAS = 2
# Who calls whom (read-through, authorisation, reconcile): through the internal nginx.
PEERS = {
    "TASKWIRE_TASKS_PROJECTS_URL": "projects",
    "TASKWIRE_AGGREGATOR_PROJECTS_URL": "projects",
    "TASKWIRE_AGGREGATOR_TASKS_URL": "tasks",
    "TASKWIRE_NOTIFIER_PROJECTS_URL": "projects",
}
INTERNAL = """
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    {servers}
}}
"""
INTERNAL_SERVER = """
    upstream internal_{name} {{ {upstreams} keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://internal_{name};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
"""


@dataclass
class Replica:
    service: str
    index: int
    port: int
    env: dict[str, str]
    log: Path
    process: asyncio.subprocess.Process | None = None

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    gateway: str
    replicas: list[Replica]
    proxies: dict[tuple[str, str], TcpProxy]  # (service, dependency) -> its link
    directory: Path
    _others: list[asyncio.subprocess.Process] = field(default_factory=list)

    def of(self, service: str) -> list[Replica]:
        return [r for r in self.replicas if r.service == service]

    async def start(self, replica: Replica) -> None:
        log = replica.log.open("ab")
        replica.process = await asyncio.create_subprocess_exec(
            _bin(f"taskwire-{replica.service}"), "serve",
            env=replica.env, stdout=log, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        log.close()

    async def ready(self, replica: Replica, timeout: float = 60.0) -> None:
        async def answers() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                async with httpx.AsyncClient(timeout=2) as http:
                    return (await http.get(f"{replica.url}/readyz")).status_code == 200
            return False

        await eventually(answers, timeout=timeout, interval=0.2, what=f"{replica.name} ready")

    def kill(self, replica: Replica) -> None:
        """kill -9: no shutdown at all."""
        if replica.process is not None and replica.process.returncode is None:
            replica.process.kill()

    def pause(self, replica: Replica) -> None:
        if replica.process is not None and replica.process.returncode is None:
            replica.process.send_signal(signal.SIGSTOP)

    def resume(self, replica: Replica) -> None:
        if replica.process is not None and replica.process.returncode is None:
            replica.process.send_signal(signal.SIGCONT)

    def exited(self) -> list[str]:
        """Replicas that died on their own (not killed by a fault still being repaired)."""
        return [
            f"{r.name} exited with {r.process.returncode} (log: {r.log})"
            for r in self.replicas
            if r.process is not None and r.process.returncode not in (None, -signal.SIGKILL)
        ]

    async def stop(self) -> None:
        for replica in self.replicas:
            self.resume(replica)
            if replica.process is not None and replica.process.returncode is None:
                replica.process.terminate()
        for process in self._others:
            if process.returncode is None:
                process.terminate()
        for process in [r.process for r in self.replicas if r.process] + self._others:
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
        for proxy in self.proxies.values():
            proxy.unblock()
            await proxy.cut()


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _nginx() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        raise RuntimeError("nginx is not installed: bash scripts/tools.sh installs it")
    return found


async def _links(env: dict[str, str]) -> dict[tuple[str, str], TcpProxy]:
    """A proxy per service and dependency, started."""
    proxies: dict[tuple[str, str], TcpProxy] = {}
    for service in SERVICES:
        redis = env.get("TASKWIRE_REDIS_URL", "redis://127.0.0.1:6379/0")
        targets = {"rabbitmq": (env["TASKWIRE_AMQP_URL"], 5672), "redis": (redis, 6379)}
        if service in WITH_DATABASE:
            targets["postgres"] = (env[f"TASKWIRE_{service.upper()}_DATABASE_URL"], 5432)
        for dependency, (url, port) in targets.items():
            proxy = TcpProxy.to(url.replace("+asyncpg", ""), port)
            await proxy.start()
            proxies[(service, dependency)] = proxy
    return proxies


def _replica_env(
    env: dict[str, str],
    service: str,
    port: int,
    proxies: dict[tuple[str, str], TcpProxy],
    internal: dict[str, int],
) -> dict[str, str]:
    own = dict(env)
    prefix = f"TASKWIRE_{service.upper()}_"
    own[prefix + "PORT"] = str(port)
    amqp = env["TASKWIRE_AMQP_URL"]
    own["TASKWIRE_AMQP_URL"] = proxied_url(amqp, proxies[(service, "rabbitmq")])
    redis = env.get("TASKWIRE_REDIS_URL", "redis://127.0.0.1:6379/0")
    own["TASKWIRE_REDIS_URL"] = proxied_url(redis, proxies[(service, "redis")])
    if service in WITH_DATABASE:
        database = env[prefix + "DATABASE_URL"]
        own[prefix + "DATABASE_URL"] = proxied_url(database, proxies[(service, "postgres")])
    for variable, peer in PEERS.items():
        own[variable] = f"http://127.0.0.1:{internal[peer]}"
    return own


async def _migrate(env: dict[str, str]) -> None:
    for service in WITH_DATABASE:
        process = await asyncio.create_subprocess_exec(
            _bin(f"taskwire-{service}"), "migrate", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"taskwire-{service} migrate failed:\n{output.decode()}")


async def _spawn(cluster: Cluster, log: str, *command: str, env: dict[str, str]) -> None:
    with (cluster.directory / log).open("ab") as out:
        process = await asyncio.create_subprocess_exec(*command, env=env, stdout=out, stderr=out)
    cluster._others.append(process)


async def _internal_nginx(
    cluster: Cluster, ports: dict[str, list[int]], internal: dict[str, int]
) -> None:
    def upstreams(service: str) -> str:
        return " ".join(
            f"server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in ports[service]
        )

    servers = "".join(
        INTERNAL_SERVER.format(name=s, port=internal[s], upstreams=upstreams(s)) for s in SERVICES
    )
    config = cluster.directory / "internal.conf"
    config.write_text(INTERNAL.format(dir=cluster.directory, servers=servers))
    nginx = (_nginx(), "-p", str(cluster.directory), "-c", str(config))
    await _spawn(cluster, "internal.log", *nginx, env=dict(os.environ))


async def _gateway(cluster: Cluster, env: dict[str, str], ports: dict[str, list[int]]) -> None:
    gateway = dict(env) | {"TASKWIRE_GATEWAY_PORT": str(port_of(cluster.gateway))}
    for s in SERVICES:
        gateway[f"TASKWIRE_{s.upper()}_UPSTREAMS"] = ",".join(f"127.0.0.1:{p}" for p in ports[s])
    await _spawn(
        cluster, "gateway.log", sys.executable, str(ROOT / "scripts" / "gateway.py"), env=gateway
    )


@contextlib.asynccontextmanager
async def running_cluster(env: dict[str, str]) -> AsyncIterator[Cluster]:
    """Every service twice, the gateway and the internal nginx, on `env` (`run_environment`'s)."""
    directory = Path(tempfile.mkdtemp(prefix="taskwire-soak-"))
    await _migrate(env)
    proxies = await _links(env)
    ports = {s: [free_port() for _ in range(REPLICAS)] for s in SERVICES}
    internal = {s: free_port() for s in SERVICES}
    replicas = [
        Replica(
            s, i, port, _replica_env(env, s, port, proxies, internal), directory / f"{s}-{i}.log"
        )
        for s in SERVICES
        for i, port in enumerate(ports[s])
    ]
    cluster = Cluster(f"http://127.0.0.1:{free_port()}", replicas, proxies, directory)
    try:
        await _internal_nginx(cluster, ports, internal)
        await _gateway(cluster, env, ports)
        for replica in replicas:
            await cluster.start(replica)
        for replica in replicas:
            await cluster.ready(replica, timeout=90)
        yield cluster
    finally:
        await cluster.stop()


def port_of(url: str) -> int:
    return urlsplit(url).port or 80
