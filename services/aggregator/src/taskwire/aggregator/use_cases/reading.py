"""Reading a project's counts: from the Redis cache, else from Postgres (and then cached)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.aggregator.access import ProjectReaders
from taskwire.aggregator.counts_cache import CountsCache, render
from taskwire.aggregator.domain import ProjectCounts
from taskwire.aggregator.store import counts as stored_counts
from taskwire.common.auth import Caller
from taskwire.common.events.projects import Counts


async def project_counts(
    caller: Caller,
    project_id: UUID,
    readers: ProjectReaders,
    cache: CountsCache,
    engine: AsyncEngine,
) -> bytes:
    """The counts of a project the caller may read (NotFound otherwise), as the route answers
    them; a project with no task counted yet counts zero."""
    await readers.check(caller, project_id)
    body = await cache.get(project_id)
    if body is not None:
        return body
    async with engine.connect() as conn:
        found = (await stored_counts.read_counts(conn, [project_id])).get(project_id)
    if found is None:
        return render(ProjectCounts(project_id, None, Counts(), 0))
    body = render(found)
    await cache.put(found, body)
    return body
