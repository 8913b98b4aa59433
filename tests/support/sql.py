"""SQL on a test's database, straight through asyncpg, outside the service under test."""

from __future__ import annotations

from typing import Any

import asyncpg

from taskwire.common.db import asyncpg_dsn


async def fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def execute(database_url: str, sql: str) -> None:
    """Run SQL (several statements allowed) on the test's database, outside the service."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
