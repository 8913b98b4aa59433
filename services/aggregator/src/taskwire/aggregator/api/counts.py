"""A project's counts, for whoever may read the project (behind the gateway)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from taskwire.aggregator.api.deps import CacheDep, DatabaseDep, ReadersDep
from taskwire.aggregator.use_cases import reading
from taskwire.common.auth import CallerDep
from taskwire.common.events.projects import Category, Counts
from taskwire.common.openapi import problems

router = APIRouter(tags=["counts"])


class CountsPublic(BaseModel):
    """What the route answers; the cache keeps it rendered (counts_cache.render)."""

    project_id: UUID
    counts: Counts
    derived_status: Category
    counts_version: int


@router.get(
    "/projects/{project_id}/counts",
    response_model=CountsPublic,
    responses=problems(404),
)
async def project_counts(
    project_id: UUID, caller: CallerDep, readers: ReadersDep, cache: CacheDep, db: DatabaseDep
) -> Response:
    """Counts per category over live tasks, the archived count, and the derived status."""
    body = await reading.project_counts(caller, project_id, readers, cache, db.engine)
    return Response(body, media_type="application/json")
