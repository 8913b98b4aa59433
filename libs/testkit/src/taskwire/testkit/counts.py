"""Reading what the aggregator stored, and comparing it with the truth."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from taskwire.aggregator import domain
from taskwire.aggregator.domain import TaskFacts
from taskwire.aggregator.store import counts as stored_counts
from taskwire.aggregator.store import facts as stored_facts
from taskwire.common.events.projects import Counts


@dataclass
class CountsDb:
    engine: AsyncEngine

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, url: str) -> AsyncIterator[CountsDb]:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            yield cls(engine)
        finally:
            await engine.dispose()

    async def counts(self) -> dict[UUID, Counts]:
        async with self.engine.connect() as conn:
            rows = await stored_counts.read_counts(conn)
        return {project: row.counts for project, row in rows.items()}

    async def versions(self) -> dict[UUID, int]:
        async with self.engine.connect() as conn:
            rows = await stored_counts.read_counts(conn)
        return {project: row.version for project, row in rows.items()}

    async def facts(self, project_id: UUID) -> list[TaskFacts]:
        async with self.engine.connect() as conn:
            return await stored_facts.project_facts(conn, project_id)


def expected_counts(truth: list[TaskFacts]) -> dict[UUID, Counts]:
    """A recount of the truth, leaving out projects whose counts are all zero (as stored rows
    may or may not exist for them)."""
    return {p: c for p, c in domain.recount(truth).items() if c != Counts()}


def nonzero(counts: dict[UUID, Counts]) -> dict[UUID, Counts]:
    return {p: c for p, c in counts.items() if c != Counts()}
