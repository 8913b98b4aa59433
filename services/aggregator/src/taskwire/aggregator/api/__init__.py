"""HTTP routes, one module per resource: a project's counts under /api/v1 (behind the
gateway), and reconcile under /internal/v1 (never routed from outside)."""

from fastapi import APIRouter

from taskwire.aggregator.api.counts import router as counts
from taskwire.aggregator.api.reconcile import router as reconcile
from taskwire.common.openapi import API, problems

router = APIRouter(prefix="/api/v1", responses=problems(*API))
router.include_router(counts)
internal = APIRouter(prefix="/internal/v1", responses=problems(*API))
internal.include_router(reconcile)
