"""A project's board of statuses: list, add, rename/recategorise/move, delete (moving tasks)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.auth import CallerDep
from taskwire.common.errors import NotFound
from taskwire.common.events.projects import (
    STATUS_CREATED,
    STATUS_DELETED,
    STATUS_UPDATED,
    Role,
    StatusState,
)
from taskwire.common.ids import new_id
from taskwire.common.openapi import ETAG, links, problems
from taskwire.common.outbox import EventUnitOfWork
from taskwire.projects import domain
from taskwire.projects.api.deps import ConnDep, IfMatch, UowDep, tag
from taskwire.projects.api.projects import project_for
from taskwire.projects.events import status_event
from taskwire.projects.schemas import StatusCreate, StatusesPublic, StatusPublic, StatusUpdate
from taskwire.projects.store import statuses as store

router = APIRouter(tags=["statuses"])
EDITABLE = {"name", "category", "position"}
CREATED = {"status_id": "$response.body#/id"}


async def _board_of(
    conn: AsyncConnection, status_id: UUID, user_id: UUID
) -> tuple[list[StatusState], StatusState]:
    """Authorise an admin on the status's project, lock its board, and read it afresh."""
    found = await store.status_for(conn, status_id, user_id)
    if found is None:
        raise NotFound("no such status")
    domain.require_role(found[1], Role.ADMIN, "managing statuses")
    board = await store.board(conn, found[0].project_id)
    target = next((s for s in board if s.id == status_id), None)
    if target is None:
        raise NotFound("no such status")
    return board, target


def _save_events(
    uow: EventUnitOfWork, before: list[StatusState], changed: list[StatusState], actor: UUID
) -> None:
    old = {s.id: s for s in before}
    for status in changed:
        if status.id not in old:
            uow.emit(status_event(STATUS_CREATED, status, actor))
        else:
            diff = domain.changed(old[status.id], status.model_dump(include=EDITABLE))
            uow.emit(status_event(STATUS_UPDATED, status, actor, diff))


@router.get("/projects/{project_id}/statuses", responses=problems(404))
async def list_statuses(project_id: UUID, caller: CallerDep, conn: ConnDep) -> StatusesPublic:
    await project_for(conn, project_id, caller.user_id)
    board = await store.board(conn, project_id)
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
    project, role = await project_for(uow.connection, project_id, caller.user_id, lock=True)
    domain.require_role(role, Role.ADMIN, "managing statuses")
    board = await store.board(uow.connection, project_id)
    new = StatusState(
        **body.model_dump(exclude={"position"}),
        id=new_id(),
        project_id=project_id,
        workspace_id=project.workspace_id,
        position=0,
        version=1,
    )
    changed = domain.add_status(board, new, body.position)
    await store.save_board(uow.connection, changed, {s.id for s in board}, datetime.now(UTC))
    _save_events(uow, board, changed, caller.user_id)
    await uow.commit()
    created = next(s for s in changed if s.id == new.id)
    tag(response, created.version)
    return StatusPublic.model_validate(created)


@router.patch("/statuses/{status_id}", responses=problems(400, 403, 404, 412))
async def update_status(
    status_id: UUID,
    body: StatusUpdate,
    caller: CallerDep,
    uow: UowDep,
    response: Response,
    if_match: IfMatch = None,
) -> StatusPublic:
    board, target = await _board_of(uow.connection, status_id, caller.user_id)
    domain.check_if_match(if_match, target.version, "status")
    updates = body.updates()
    changed = domain.edit_status(board, status_id, updates, updates.pop("position", None))
    if changed:
        await store.save_board(uow.connection, changed, {s.id for s in board}, datetime.now(UTC))
        _save_events(uow, board, changed, caller.user_id)
        await uow.commit()
    result = next((s for s in changed if s.id == status_id), target)
    tag(response, result.version)
    return StatusPublic.model_validate(result)


@router.delete("/statuses/{status_id}", status_code=204, responses=problems(403, 404, 409, 412))
async def delete_status(
    status_id: UUID,
    move_to: Annotated[UUID, Query(description="the status of the same project taking its tasks")],
    caller: CallerDep,
    uow: UowDep,
    if_match: IfMatch = None,
) -> None:
    board, target = await _board_of(uow.connection, status_id, caller.user_id)
    domain.check_if_match(if_match, target.version, "status")
    deleted, shifted = domain.remove_status(board, status_id, move_to)
    await store.save_board(
        uow.connection, [deleted, *shifted], {s.id for s in board}, datetime.now(UTC)
    )
    uow.emit(status_event(STATUS_DELETED, deleted, caller.user_id, {"deleted": [False, True]}))
    _save_events(uow, board, shifted, caller.user_id)
    await uow.commit()
