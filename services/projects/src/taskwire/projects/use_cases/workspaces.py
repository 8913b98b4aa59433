"""Workspaces: create one (the caller becomes its owner), list mine, read, rename."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.auth import Caller
from taskwire.common.events.projects import (
    MEMBER_ADDED,
    WORKSPACE_CREATED,
    WORKSPACE_UPDATED,
    MemberState,
    Role,
    WorkspaceState,
)
from taskwire.common.ids import new_id
from taskwire.common.outbox import EventUnitOfWork
from taskwire.common.paging import Page
from taskwire.common.problems import Conflict, NotFound
from taskwire.common.versions import check_if_match
from taskwire.projects import domain
from taskwire.projects.events import member_event, workspace_event
from taskwire.projects.store import Taken
from taskwire.projects.store import workspaces as store


def _owner(workspace: WorkspaceState, caller: Caller) -> MemberState:
    return MemberState(
        workspace_id=workspace.id,
        user_id=caller.user_id,
        email=caller.email,
        display_name=caller.name,
        avatar_url=caller.picture,
        role=Role.OWNER,
        version=1,
        created_at=workspace.created_at,
        updated_at=workspace.created_at,
    )


async def create_workspace(
    uow: EventUnitOfWork, caller: Caller, name: str, slug: str | None
) -> WorkspaceState:
    now = datetime.now(UTC)
    workspace = WorkspaceState(
        id=new_id(),
        name=name,
        slug=slug or domain.slugify(name),
        version=1,
        created_at=now,
        updated_at=now,
    )
    owner = _owner(workspace, caller)
    created = await store.insert_workspace(uow.connection, workspace, owner)
    if not created and slug is None:
        # A slug derived from the name was not the caller's choice: make it unique instead.
        suffixed = domain.with_suffix(workspace.slug, new_id().hex[-6:])
        workspace = workspace.model_copy(update={"slug": suffixed})
        created = await store.insert_workspace(uow.connection, workspace, owner)
    if not created:
        raise Conflict(f"the slug {workspace.slug!r} is taken; choose another")
    uow.emit(
        workspace_event(WORKSPACE_CREATED, workspace, caller.user_id),
        member_event(MEMBER_ADDED, owner, caller.user_id),
    )
    await uow.commit()
    return workspace


async def my_workspaces(
    conn: AsyncConnection, user_id: UUID, page: Page[UUID]
) -> tuple[list[tuple[WorkspaceState, Role]], UUID | None]:
    """One page of the caller's workspaces with their role, and where the next page starts."""
    rows = await store.workspaces_of(conn, user_id, page.after, page.limit + 1)
    return page.split(rows, lambda row: row[0].id)


async def get_workspace(
    conn: AsyncConnection, workspace_id: UUID, user_id: UUID, *, lock: bool = False
) -> tuple[WorkspaceState, Role]:
    """The workspace and the caller's role; not found when the caller is not a member."""
    found = await store.workspace_for(conn, workspace_id, user_id, lock=lock)
    if found is None:
        raise NotFound("no such workspace")
    return found


async def update_workspace(
    uow: EventUnitOfWork,
    workspace_id: UUID,
    user_id: UUID,
    updates: dict[str, Any],
    if_match: str | None,
) -> tuple[WorkspaceState, Role]:
    workspace, role = await get_workspace(uow.connection, workspace_id, user_id, lock=True)
    domain.require_role(role, Role.OWNER, "changing the workspace")
    check_if_match(if_match, workspace.version, "workspace")
    workspace, changes = domain.revise(workspace, updates, updated_at=datetime.now(UTC))
    if changes:
        try:
            await store.save_workspace(uow.connection, workspace)
        except Taken as exc:
            raise Conflict(f"the slug {workspace.slug!r} is taken") from exc
        uow.emit(workspace_event(WORKSPACE_UPDATED, workspace, user_id, changes))
        await uow.commit()
    return workspace, role
