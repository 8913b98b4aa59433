"""SQL for the aggregator's tables, one module per table: set-based, one statement per step.

Every statement takes arrays (`unnest`), so a batch of any size costs the same few round trips,
and touches rows in key order, so two aggregator instances lock in the same order and cannot
deadlock.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection


async def driver(conn: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under `conn`: reads of many rows skip SQLAlchemy's row
    processing, several times the cost of the rows themselves.

    Only for reads outside a transaction, or after a statement through `conn` has begun it:
    SQLAlchemy sends BEGIN lazily, with its first statement, so a statement sent here first
    would run (and release its locks) on its own.
    """
    raw = await conn.get_raw_connection()
    found: asyncpg.Connection | None = raw.driver_connection
    if found is None:
        raise RuntimeError("the connection is closed")
    return found
