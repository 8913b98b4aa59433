"""A project's board of statuses: list, add, rename/recategorise/move, delete (moving tasks)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events.changes import changed
from taskwire.common.events.projects import (
    STATUS_CREATED,
    STATUS_DELETED,
    STATUS_UPDATED,
    Category,
    Role,
    StatusState,
)
from taskwire.common.ids import new_id
from taskwire.common.outbox import EventUnitOfWork
from taskwire.common.problems import NotFound
from taskwire.common.versions import check_if_match
from taskwire.projects import domain
from taskwire.projects.events import status_event
from taskwire.projects.store import statuses as store
from taskwire.projects.use_cases.projects import project_for

EDITABLE: Final = ("name", "category", "position")


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


async def _save(
    uow: EventUnitOfWork,
    before: list[StatusState],
    changes: list[StatusState],
    actor: UUID,
    *,
    written: list[StatusState] | None = None,
) -> None:
    """Write what a board change touched (`written`, by default its `changes`: one statement
    for all), and announce each change: created, or updated with what changed."""
    rows = changes if written is None else written
    await store.save_board(uow.connection, rows, {s.id for s in before}, datetime.now(UTC))
    old = {s.id: s for s in before}
    for status in changes:
        if status.id not in old:
            uow.emit(status_event(STATUS_CREATED, status, actor))
        else:
            diff = changed(old[status.id], status, EDITABLE)
            uow.emit(status_event(STATUS_UPDATED, status, actor, diff))


async def list_statuses(
    conn: AsyncConnection, project_id: UUID, user_id: UUID
) -> list[StatusState]:
    await project_for(conn, project_id, user_id)
    return await store.board(conn, project_id)


async def create_status(
    uow: EventUnitOfWork,
    project_id: UUID,
    user_id: UUID,
    *,
    name: str,
    category: Category,
    position: int | None,
) -> StatusState:
    """A new status at `position` (last when None); the statuses after it shift down."""
    project, role = await project_for(uow.connection, project_id, user_id, lock=True)
    domain.require_role(role, Role.ADMIN, "managing statuses")
    board = await store.board(uow.connection, project_id)
    new = StatusState(
        id=new_id(),
        project_id=project_id,
        workspace_id=project.workspace_id,
        name=name,
        category=category,
        position=0,
        version=1,
    )
    changes = domain.add_status(board, new, position)
    await _save(uow, board, changes, user_id)
    await uow.commit()
    return next(s for s in changes if s.id == new.id)


async def update_status(
    uow: EventUnitOfWork,
    status_id: UUID,
    user_id: UUID,
    updates: dict[str, Any],
    if_match: str | None,
) -> StatusState:
    """Rename, recategorise and/or move (`updates` may hold a position)."""
    board, target = await _board_of(uow.connection, status_id, user_id)
    check_if_match(if_match, target.version, "status")
    fields = dict(updates)
    changes = domain.edit_status(board, status_id, fields, fields.pop("position", None))
    if changes:
        await _save(uow, board, changes, user_id)
        await uow.commit()
    return next((s for s in changes if s.id == status_id), target)


async def delete_status(
    uow: EventUnitOfWork, status_id: UUID, user_id: UUID, move_to: UUID, if_match: str | None
) -> None:
    """Delete a status; its tasks go to `move_to`, and the statuses after it shift up."""
    board, target = await _board_of(uow.connection, status_id, user_id)
    check_if_match(if_match, target.version, "status")
    deleted, shifted = domain.remove_status(board, status_id, move_to)
    uow.emit(status_event(STATUS_DELETED, deleted, user_id, {"deleted": [False, True]}))
    await _save(uow, board, shifted, user_id, written=[deleted, *shifted])
    await uow.commit()
