"""Reconcile on demand (internal only: the gateway never routes /internal)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from taskwire.aggregator.api.deps import CounterDep, DatabaseDep, SnapshotDep
from taskwire.aggregator.use_cases.reconciling import reconcile
from taskwire.common.auth import InternalDep

router = APIRouter(tags=["internal"])


@router.post("/reconcile")
async def reconcile_counts(
    _: InternalDep,
    db: DatabaseDep,
    counter: CounterDep,
    snapshot: SnapshotDep,
    project_id: Annotated[UUID | None, Query(description="one project; all when absent")] = None,
) -> dict[str, object]:
    """Recount from the tasks service's snapshot, repair any difference, report the drift."""
    drift = await reconcile(db.engine, db.unit_of_work, counter, snapshot, project_id)
    return drift.as_dict()
