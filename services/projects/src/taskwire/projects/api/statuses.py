"""A project's board of statuses: list, add, rename/recategorise/move, delete (moving tasks)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from taskwire.common.auth import CallerDep
from taskwire.common.http import ConnDep, IfMatch, UowDep, tag
from taskwire.common.openapi import ETAG, links, problems
from taskwire.projects.schemas import StatusCreate, StatusesPublic, StatusPublic, StatusUpdate
from taskwire.projects.use_cases import statuses

router = APIRouter(tags=["statuses"])
CREATED = {"status_id": "$response.body#/id"}


@router.get("/projects/{project_id}/statuses", responses=problems(404))
async def list_statuses(project_id: UUID, caller: CallerDep, conn: ConnDep) -> StatusesPublic:
    board = await statuses.list_statuses(conn, project_id, caller.user_id)
    return StatusesPublic(items=[StatusPublic.model_validate(s) for s in board])


@router.post(
    "/projects/{project_id}/statuses",
    status_code=201,
    responses=problems(400, 403, 404, 409)
    | links(201, update_status=CREATED | ETAG, delete_status=CREATED | ETAG),
)
async def create_status(
    project_id: UUID, body: StatusCreate, caller: CallerDep, uow: UowDep, response: Response
) -> StatusPublic:
    status = await statuses.create_status(uow, project_id, caller.user_id, **body.model_dump())
    tag(response, status.version)
    return StatusPublic.model_validate(status)


@router.patch("/statuses/{status_id}", responses=problems(400, 403, 404, 412))
async def update_status(
    status_id: UUID,
    body: StatusUpdate,
    caller: CallerDep,
    uow: UowDep,
    response: Response,
    if_match: IfMatch = None,
) -> StatusPublic:
    status = await statuses.update_status(uow, status_id, caller.user_id, body.updates(), if_match)
    tag(response, status.version)
    return StatusPublic.model_validate(status)


@router.delete(
    "/statuses/{status_id}", status_code=204, responses=problems(400, 403, 404, 409, 412)
)
async def delete_status(
    status_id: UUID,
    move_to: Annotated[UUID, Query(description="the status of the same project taking its tasks")],
    caller: CallerDep,
    uow: UowDep,
    if_match: IfMatch = None,
) -> None:
    await statuses.delete_status(uow, status_id, caller.user_id, move_to, if_match)
