"""The replica's repair on demand, for operators and other services (the internal token),
outside /api/v1: the gateway never routes /internal. The same repair runs by itself, one
workspace at a time (`replica.repair`); this one does not wait for its turn."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from taskwire.common.auth import InternalDep
from taskwire.common.openapi import API, problems
from taskwire.tasks.replica.repair import MembersRepair

router = APIRouter(prefix="/internal/v1", tags=["internal"], responses=problems(*API))


class MembersRepaired(BaseModel):
    """What the repair changed: `saved` rows the projects service held newer, `dropped` live
    rows it has no trace of (now removed)."""

    workspace_id: UUID
    saved: int
    dropped: int


async def members_repair(request: Request) -> MembersRepair:
    found: MembersRepair = request.app.state.members_repair
    return found


@router.post("/replica/workspaces/{workspace_id}/members/repair", responses=problems(404))
async def repair_members(
    _: InternalDep,
    repair: Annotated[MembersRepair, Depends(members_repair)],
    workspace_id: UUID,
) -> MembersRepaired:
    """Bring this service's replica of the workspace's members to the projects service's
    roster now; a member removed there is refused here from the next request on."""
    repaired = await repair.workspace(workspace_id)
    return MembersRepaired(
        workspace_id=repaired.workspace_id, saved=repaired.saved, dropped=repaired.dropped
    )
