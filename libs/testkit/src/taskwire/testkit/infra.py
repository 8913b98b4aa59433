"""Where the tests find Postgres, RabbitMQ and Redis.

Order: URLs from the environment, else the local services (scripts/services.sh), else containers
started with testcontainers when a Docker engine is present. Never mocks.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Infra:
    postgres_admin_url: str  # a SQLAlchemy asyncpg URL to a database we may CREATE DATABASE from
    amqp_url: str
    redis_url: str


def _answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url.replace("+asyncpg", ""))
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1.0):
        return True
    return False


def _docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(["docker", "info"], capture_output=True, timeout=10, check=False)
    return result.returncode == 0


@contextlib.contextmanager
def provide_infra() -> Iterator[Infra]:
    pg = os.environ.get("TASKWIRE_TEST_POSTGRES_URL", LOCAL_POSTGRES)
    amqp = os.environ.get("TASKWIRE_TEST_AMQP_URL", LOCAL_AMQP)
    redis = os.environ.get("TASKWIRE_TEST_REDIS_URL", LOCAL_REDIS)
    missing = [
        name
        for name, url, port in (
            ("postgres", pg, 5432),
            ("rabbitmq", amqp, 5672),
            ("redis", redis, 6379),
        )
        if not _answers(url, port)
    ]
    if not missing:
        yield Infra(pg, amqp, redis)
        return
    if not _docker_available():
        raise RuntimeError(
            f"{', '.join(missing)} not answering and no Docker engine for testcontainers. "
            "Start them (`bash scripts/services.sh`) "
            "or set TASKWIRE_TEST_POSTGRES_URL / _AMQP_URL / _REDIS_URL."
        )
    with contextlib.ExitStack() as stack:
        if "postgres" in missing:
            from testcontainers.postgres import PostgresContainer

            c = stack.enter_context(PostgresContainer("postgres:16-alpine", driver="asyncpg"))
            pg = c.get_connection_url()
        if "rabbitmq" in missing:
            from testcontainers.rabbitmq import RabbitMqContainer

            r = stack.enter_context(RabbitMqContainer("rabbitmq:3.13-management-alpine"))
            amqp = f"amqp://guest:guest@{r.get_container_host_ip()}:{r.get_exposed_port(5672)}/"
        if "redis" in missing:
            from testcontainers.redis import RedisContainer

            rc = stack.enter_context(RedisContainer("redis:7-alpine"))
            redis = f"redis://{rc.get_container_host_ip()}:{rc.get_exposed_port(6379)}/0"
        yield Infra(pg, amqp, redis)
