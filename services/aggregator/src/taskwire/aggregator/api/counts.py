"""HTTP routes: a project's counts (behind the gateway) and reconcile (internal only)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from taskwire.aggregator import domain, store
from taskwire.aggregator.cache import CountsCache
from taskwire.aggregator.store import ProjectCounts
from taskwire.common.auth import CallerDep, InternalDep
from taskwire.common.events.projects import Category, Counts
from taskwire.common.http import runtime
from taskwire.common.openapi import API, problems

router = APIRouter(prefix="/api/v1", tags=["counts"], responses=problems(*API))
internal = APIRouter(prefix="/internal/v1", tags=["internal"], responses=problems(*API))


class CountsPublic(BaseModel):
    project_id: UUID
    counts: Counts
    derived_status: Category
    counts_version: int


def render(row: ProjectCounts) -> bytes:
    return orjson.dumps(
        {
            "project_id": str(row.project_id),
            "counts": row.counts.model_dump(),
            "derived_status": domain.derived_status(row.counts),
            "counts_version": row.version,
        }
    )


def _cache(request: Request) -> CountsCache:
    cache: CountsCache = request.app.state.counts_cache
    return cache


CacheDep = Annotated[CountsCache, Depends(_cache)]


@router.get(
    "/projects/{project_id}/counts",
    response_model=CountsPublic,
    responses=problems(404),
)
async def project_counts(
    project_id: UUID, caller: CallerDep, request: Request, cache: CacheDep
) -> Response:
    """Counts per category over live tasks, the archived count, and the derived status."""
    await request.app.state.readers.check(caller, project_id)
    body = await cache.get(project_id)
    if body is None:
        async with runtime(request).engine.connect() as conn:
            found = (await store.read_counts(conn, [project_id])).get(project_id)
        row = found or ProjectCounts(project_id, None, Counts(), 0)
        body = render(row)
        if found is not None:
            await cache.put(row, body)
    return Response(body, media_type="application/json")


@internal.post("/reconcile")
async def reconcile_counts(
    _: InternalDep,
    request: Request,
    project_id: Annotated[UUID | None, Query(description="one project; all when absent")] = None,
) -> dict[str, object]:
    """Recount from the tasks service's snapshot, repair any difference, report the drift."""
    drift = await request.app.state.reconcile(project_id)
    report: dict[str, object] = drift.as_dict()
    return report
