"""Where the checker reads each service's own state: their databases (asyncpg DSNs, not through
the soak's proxies) and RabbitMQ's dead-letter queues."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class Stores:
    """asyncpg DSNs of each service's database, and what to ask RabbitMQ."""

    projects: str
    tasks: str
    aggregator: str
    dead_letter_depths: Callable[[], Awaitable[dict[str, int]]]


async def fetched(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()
