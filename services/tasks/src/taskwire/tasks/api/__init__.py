"""HTTP routes under /api/v1, one module per resource."""

from fastapi import APIRouter

from taskwire.common.openapi import API, problems
from taskwire.tasks.api.changes import router as changes
from taskwire.tasks.api.me import router as me
from taskwire.tasks.api.tasks import router as tasks

router = APIRouter(prefix="/api/v1", responses=problems(*API))
for resource in (tasks, changes, me):
    router.include_router(resource)
