"""HTTP routes under /api/v1, one module per resource."""

from fastapi import APIRouter

from taskwire.common.openapi import API, problems
from taskwire.projects.api.members import router as members
from taskwire.projects.api.projects import router as projects
from taskwire.projects.api.statuses import router as statuses
from taskwire.projects.api.workspaces import router as workspaces

router = APIRouter(prefix="/api/v1", responses=problems(*API))
for resource in (workspaces, members, projects, statuses):
    router.include_router(resource)
