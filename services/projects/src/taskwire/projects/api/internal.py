"""Routes for other Taskwire services (the internal token), outside /api/v1: the gateway never
routes /internal.

A workspace's roster, tombstones included, is what the tasks service repairs its replica of
members from when an event never reached it (a dead-lettered `member.removed`, say).
"""

from __future__ import annotations

from typing import Annotated, Final
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from taskwire.common.auth import InternalDep
from taskwire.common.events.projects import MemberState
from taskwire.common.http import ConnDep
from taskwire.common.openapi import API, problems
from taskwire.common.problems import NotFound
from taskwire.projects.store.roster import roster_page

MAX_MEMBERS: Final = 1_000

router = APIRouter(prefix="/internal/v1", tags=["internal"], responses=problems(*API))


class Roster(BaseModel):
    """A page of a workspace's member rows by user id, removed ones included; `next_after` is
    the `after` of the next page, null once a page comes back short."""

    items: list[MemberState]
    next_after: UUID | None


@router.get("/workspaces/{workspace_id}/roster", responses=problems(404))
async def workspace_roster(
    _: InternalDep,
    conn: ConnDep,
    workspace_id: UUID,
    after: Annotated[UUID | None, Query(description="the next_after of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, description=f"page size, capped at {MAX_MEMBERS}")] = 500,
) -> Roster:
    """Every member row of the workspace (removed ones too), by user id, from just after
    `after`; 404 when the workspace does not exist."""
    limit = min(limit, MAX_MEMBERS)
    items = await roster_page(conn, workspace_id, after, limit)
    if items is None:
        raise NotFound("no such workspace")
    return Roster(items=items, next_after=items[-1].user_id if len(items) == limit else None)
