"""Workspaces, each read with the caller's role."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events.projects import MemberState, Role, WorkspaceState
from taskwire.projects.store import LIVE_MEMBER, membership, plain, taken_on
from taskwire.projects.tables import members, workspaces

SLUG_CONSTRAINT = "workspaces_slug_key"


async def insert_workspace(
    conn: AsyncConnection, workspace: WorkspaceState, owner: MemberState
) -> bool:
    """Insert the workspace and its owner; False (nothing written) when the slug is taken."""
    created = await conn.scalar(
        pg_insert(workspaces)
        .values(workspace.model_dump())
        .on_conflict_do_nothing(index_elements=[workspaces.c.slug])
        .returning(workspaces.c.id)
    )
    if created is None:
        return False
    await conn.execute(insert(members).values(owner.model_dump()))
    return True


async def workspace_for(
    conn: AsyncConnection, workspace_id: UUID, user_id: UUID, *, lock: bool = False
) -> tuple[WorkspaceState, Role] | None:
    """The workspace and the caller's role, or None when the caller is not a member."""
    stmt = (
        select(workspaces, members.c.role)
        .join(members, membership(workspaces.c.id, user_id))
        .where(workspaces.c.id == workspace_id)
    )
    if lock:
        stmt = stmt.with_for_update(of=workspaces, key_share=True)
    row = (await conn.execute(stmt)).mappings().first()
    return None if row is None else (WorkspaceState.model_validate(plain(row)), Role(row["role"]))


async def workspaces_of(
    conn: AsyncConnection, user_id: UUID, after: UUID | None, limit: int
) -> list[tuple[WorkspaceState, Role]]:
    stmt = (
        select(workspaces, members.c.role)
        .join(members, members.c.workspace_id == workspaces.c.id)
        .where(members.c.user_id == user_id, LIVE_MEMBER)
        .order_by(members.c.workspace_id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(members.c.workspace_id > after)
    rows = (await conn.execute(stmt)).mappings()
    return [(WorkspaceState.model_validate(plain(r)), Role(r["role"])) for r in rows]


async def save_workspace(conn: AsyncConnection, workspace: WorkspaceState) -> None:
    """Raises `Taken` when another workspace has its slug."""
    values = workspace.model_dump(include={"name", "slug", "version", "updated_at"})
    with taken_on(SLUG_CONSTRAINT):
        await conn.execute(update(workspaces).where(workspaces.c.id == workspace.id).values(values))
