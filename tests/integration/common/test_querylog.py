"""Slow statements logged (never their parameters) and statements counted per unit of work."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.common.db import create_engine
from taskwire.common.logs import JsonLines
from taskwire.common.querylog import (
    STATEMENT_SHOWN_CHARS,
    counting_statements,
    watch_statements,
)
from taskwire.common.settings import DatabaseSettings

SLOW_MS = 30.0


@pytest.fixture
async def engine(empty_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(DatabaseSettings(database_url=empty_database))
    async with engine.connect() as conn:  # connected before watching: only the test's own
        await conn.execute(text("SELECT 1"))
    try:
        yield engine
    finally:
        await engine.dispose()


async def run(engine: AsyncEngine, statements: int) -> None:
    async with engine.connect() as conn:
        for _ in range(statements):
            await conn.execute(text("SELECT 1"))


def slow_queries(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "taskwire.common.querylog"]


async def test_a_slow_query_is_logged_with_its_duration_and_without_parameters(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    slow: list[None] = []
    watch_statements(engine, slow_ms=SLOW_MS, on_slow=lambda: slow.append(None))
    padding = "x" * 2 * STATEMENT_SHOWN_CHARS
    statement = text(f"SELECT pg_sleep(:seconds), CAST(:secret AS text) -- {padding}")
    with caplog.at_level(logging.WARNING, logger="taskwire.common.querylog"):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            await conn.execute(statement, {"seconds": 0.05, "secret": "hunter2-in-a-parameter"})
    [record] = slow_queries(caplog)
    assert slow == [None]
    assert record.levelno == logging.WARNING
    line = JsonLines("demo").format(record)
    assert "hunter2" not in line
    entry = json.loads(line)
    assert entry["message"] == "slow query"
    assert 50 <= entry["duration_ms"] < 10_000
    shown = entry["statement"]
    assert shown.startswith("SELECT pg_sleep($1")
    assert len(shown) == STATEMENT_SHOWN_CHARS + 1
    assert shown.endswith("x…")


async def test_a_fast_query_is_not_logged(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    slow: list[None] = []
    watch_statements(engine, slow_ms=1_000, on_slow=lambda: slow.append(None))
    with caplog.at_level(logging.WARNING, logger="taskwire.common.querylog"):
        await run(engine, 3)
    assert slow_queries(caplog) == []
    assert slow == []


async def test_concurrent_units_of_work_count_only_their_own_statements(
    engine: AsyncEngine,
) -> None:
    watch_statements(engine, slow_ms=SLOW_MS)
    both_counting = asyncio.Barrier(2)

    async def unit_of_work(statements: int) -> int:
        with counting_statements() as count:
            await both_counting.wait()
            await run(engine, statements)
            return count.n

    with counting_statements() as outer:
        counted = await asyncio.gather(unit_of_work(3), unit_of_work(5))
    assert list(counted) == [3, 5]
    assert outer.n == 0


async def test_a_task_started_inside_counts_into_the_same_counter(engine: AsyncEngine) -> None:
    # What a middleware sees when the app runs in a task of its own (Starlette's call_next).
    watch_statements(engine, slow_ms=SLOW_MS)
    with counting_statements() as count:
        await asyncio.create_task(run(engine, 2))
    assert count.n == 2


async def test_nesting_restores_the_outer_counter(engine: AsyncEngine) -> None:
    watch_statements(engine, slow_ms=SLOW_MS)
    await run(engine, 1)  # nothing active: counted nowhere
    with counting_statements() as outer:
        await run(engine, 1)
        with counting_statements() as inner:
            await run(engine, 2)
        await run(engine, 1)
        async with engine.connect() as conn:
            with pytest.raises(ProgrammingError):
                await conn.execute(text("SELECT * FROM no_such_table"))
    assert (outer.n, inner.n) == (3, 2)  # the failed statement was sent: it counts
