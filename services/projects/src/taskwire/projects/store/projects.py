"""Projects (with their aggregator-owned counts) and their creation with a board of statuses."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events.projects import Category, Counts, ProjectState, Role, StatusState
from taskwire.projects.store import membership, page_for_member, plain, taken_on
from taskwire.projects.tables import members, projects, statuses

KEY_CONSTRAINT = "projects_workspace_key"
_SAVED = ("key", "name", "description", "archived_at", "deleted", "version", "updated_at")


async def insert_project(
    conn: AsyncConnection, project: ProjectState, board: list[StatusState], now: datetime
) -> bool:
    """Insert a project and its statuses; False (nothing written) when its key is taken."""
    created = await conn.scalar(
        pg_insert(projects)
        .values(project.model_dump(exclude={"statuses"}))
        .on_conflict_do_nothing(
            index_elements=[projects.c.workspace_id, projects.c.key],
            index_where=projects.c.deleted.is_(False),
        )
        .returning(projects.c.id)
    )
    if created is None:
        return False
    rows = [{**s.model_dump(), "created_at": now, "updated_at": now} for s in board]
    await conn.execute(insert(statuses), rows)
    return True


async def project_for(
    conn: AsyncConnection, project_id: UUID, user_id: UUID, *, lock: bool = False
) -> tuple[ProjectState, Role] | None:
    """A live project and the caller's role in its workspace; `lock` serialises its writers."""
    stmt = (
        select(projects, members.c.role)
        .join(members, membership(projects.c.workspace_id, user_id))
        .where(projects.c.id == project_id, projects.c.deleted.is_(False))
    )
    if lock:
        stmt = stmt.with_for_update(of=projects, key_share=True)
    row = (await conn.execute(stmt)).mappings().first()
    return None if row is None else (ProjectState.model_validate(plain(row)), Role(row["role"]))


async def locked_project(conn: AsyncConnection, project_id: UUID) -> ProjectState | None:
    """A live project, locked against its other writers (for changes no caller asked for)."""
    stmt = (
        select(projects)
        .where(projects.c.id == project_id, projects.c.deleted.is_(False))
        .with_for_update(key_share=True)
    )
    row = (await conn.execute(stmt)).mappings().first()
    return None if row is None else ProjectState.model_validate(plain(row))


async def projects_page(
    conn: AsyncConnection,
    workspace_id: UUID,
    user_id: UUID,
    archived: bool | None,
    after: UUID | None,
    limit: int,
) -> list[ProjectState] | None:
    """One page of live projects by id, or None when the caller is not a member."""
    page = (
        select(projects)
        .where(projects.c.workspace_id == workspace_id, projects.c.deleted.is_(False))
        .order_by(projects.c.id)
        .limit(limit)
    )
    if archived is not None:
        is_archived = projects.c.archived_at.isnot(None)
        page = page.where(is_archived if archived else ~is_archived)
    if after is not None:
        page = page.where(projects.c.id > after)
    rows = await page_for_member(conn, workspace_id, user_id, page, "id")
    return None if rows is None else [ProjectState.model_validate(plain(r)) for r in rows]


async def save_project(conn: AsyncConnection, project: ProjectState) -> None:
    """Raises `Taken` when another live project of the workspace has its key."""
    values: dict[str, Any] = project.model_dump(include=set(_SAVED))
    with taken_on(KEY_CONSTRAINT):
        await conn.execute(update(projects).where(projects.c.id == project.id).values(values))


async def apply_counts(
    conn: AsyncConnection, project_id: UUID, counts: Counts, version: int
) -> bool:
    """Store the aggregator's counts unless these are not newer than the stored ones."""
    result = await conn.execute(
        update(projects)
        .where(projects.c.id == project_id, projects.c.counts_version < version)
        .values(counts=counts.model_dump(), counts_version=version)
    )
    return result.rowcount > 0


async def apply_derived_status(
    conn: AsyncConnection, project_id: UUID, derived: Category, version: int
) -> bool:
    result = await conn.execute(
        update(projects)
        .where(projects.c.id == project_id, projects.c.derived_status_version < version)
        .values(derived_status=derived, derived_status_version=version)
    )
    return result.rowcount > 0
