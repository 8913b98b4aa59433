"""Projects: create (with their default board), list, read, edit, archive, restore, delete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events.projects import (
    PROJECT_ARCHIVED,
    PROJECT_CREATED,
    PROJECT_DELETED,
    PROJECT_RESTORED,
    PROJECT_UPDATED,
    Category,
    Counts,
    ProjectState,
    Role,
    StatusState,
)
from taskwire.common.ids import new_id
from taskwire.common.outbox import EventUnitOfWork
from taskwire.common.paging import Page
from taskwire.common.problems import Conflict, NotFound
from taskwire.common.versions import check_if_match
from taskwire.projects import domain
from taskwire.projects.events import project_event
from taskwire.projects.store import Taken
from taskwire.projects.store import projects as store
from taskwire.projects.store import statuses as boards
from taskwire.projects.use_cases.workspaces import get_workspace

Board = list[StatusState]


async def project_for(
    conn: AsyncConnection, project_id: UUID, user_id: UUID, *, lock: bool = False
) -> tuple[ProjectState, Role]:
    """A live project and the caller's role in its workspace; not found for a non-member."""
    found = await store.project_for(conn, project_id, user_id, lock=lock)
    if found is None:
        raise NotFound("no such project")
    return found


def _key_taken(key: str) -> Conflict:
    return Conflict(f"another project of this workspace has the key {key!r}", key=key)


async def create_project(
    uow: EventUnitOfWork,
    workspace_id: UUID,
    user_id: UUID,
    *,
    key: str,
    name: str,
    description: str,
) -> tuple[ProjectState, Board]:
    """A project with the default board, announced by one event (no status.created each)."""
    _, role = await get_workspace(uow.connection, workspace_id, user_id)
    domain.require_role(role, Role.ADMIN, "creating projects")
    now, project_id = datetime.now(UTC), new_id()
    ids = [new_id() for _ in domain.DEFAULT_STATUSES]
    board = domain.default_statuses(project_id, workspace_id, ids)
    project = ProjectState(
        id=project_id,
        workspace_id=workspace_id,
        key=key,
        name=name,
        description=description,
        derived_status=Category.TODO,
        counts=Counts(),
        version=1,
        created_at=now,
        updated_at=now,
        statuses=board,
    )
    if not await store.insert_project(uow.connection, project, board, now):
        raise _key_taken(project.key)
    uow.emit(project_event(PROJECT_CREATED, project, user_id))
    await uow.commit()
    return project, board


async def list_projects(
    conn: AsyncConnection,
    workspace_id: UUID,
    user_id: UUID,
    archived: bool | None,
    page: Page[UUID],
) -> tuple[list[ProjectState], UUID | None]:
    """One page of live projects (archived ones only, active ones only, or both when None)."""
    rows = await store.projects_page(
        conn, workspace_id, user_id, archived, page.after, page.limit + 1
    )
    if rows is None:
        raise NotFound("no such workspace")
    return page.split(rows, lambda project: project.id)


async def get_project(
    conn: AsyncConnection, project_id: UUID, user_id: UUID
) -> tuple[ProjectState, Board]:
    project, _ = await project_for(conn, project_id, user_id)
    return project, await boards.board(conn, project_id)


async def update_project(
    uow: EventUnitOfWork,
    project_id: UUID,
    user_id: UUID,
    updates: dict[str, Any],
    if_match: str | None,
) -> tuple[ProjectState, Board]:
    project, role = await project_for(uow.connection, project_id, user_id, lock=True)
    domain.require_role(role, Role.ADMIN, "changing projects")
    check_if_match(if_match, project.version, "project")
    project, changes = domain.revise(project, updates, updated_at=datetime.now(UTC))
    if changes:
        try:
            await store.save_project(uow.connection, project)
        except Taken as exc:
            raise _key_taken(project.key) from exc
        uow.emit(project_event(PROJECT_UPDATED, project, user_id, changes))
    board = await boards.board(uow.connection, project_id)
    await uow.commit()
    return project, board


async def set_archived(
    uow: EventUnitOfWork, project_id: UUID, user_id: UUID, archived: bool, if_match: str | None
) -> tuple[ProjectState, Board]:
    """Archive or restore; a project already so is answered as it is, with no new event."""
    project, role = await project_for(uow.connection, project_id, user_id, lock=True)
    domain.require_role(role, Role.ADMIN, "archiving and restoring projects")
    check_if_match(if_match, project.version, "project")
    if (project.archived_at is not None) != archived:
        now = datetime.now(UTC)
        project, changes = domain.revise(
            project, {"archived_at": now if archived else None}, updated_at=now
        )
        await store.save_project(uow.connection, project)
        event = PROJECT_ARCHIVED if archived else PROJECT_RESTORED
        uow.emit(project_event(event, project, user_id, changes))
    board = await boards.board(uow.connection, project_id)
    await uow.commit()
    return project, board


async def delete_project(
    uow: EventUnitOfWork, project_id: UUID, user_id: UUID, if_match: str | None
) -> None:
    project, role = await project_for(uow.connection, project_id, user_id, lock=True)
    domain.require_role(role, Role.ADMIN, "deleting projects")
    check_if_match(if_match, project.version, "project")
    project, changes = domain.revise(project, {"deleted": True}, updated_at=datetime.now(UTC))
    await store.save_project(uow.connection, project)
    uow.emit(project_event(PROJECT_DELETED, project, user_id, changes))
    await uow.commit()
