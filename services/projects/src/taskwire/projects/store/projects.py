"""Projects (with their aggregator-owned counts) and their creation with a board of statuses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from sqlalchemy import ARRAY, DateTime, Uuid, bindparam, func, insert, select, text, update
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


# Only a newer version is stored; the rows it changes are locked first, in key order, so two
# consumers' batches touching the same projects cannot deadlock.
_APPLY_PROGRESS: Final = text(
    """
    WITH u AS (
        SELECT * FROM unnest(
            CAST(:ids AS uuid[]), CAST(:counts AS text[]), CAST(:counts_versions AS bigint[]),
            CAST(:derived AS text[]), CAST(:derived_versions AS bigint[])
        ) AS u(id, counts, counts_version, derived_status, derived_status_version)
    ), newer AS (
        SELECT p.id FROM projects AS p JOIN u ON u.id = p.id
        WHERE u.counts_version > p.counts_version
           OR u.derived_status_version > p.derived_status_version
        ORDER BY p.id
        FOR NO KEY UPDATE OF p
    )
    UPDATE projects AS p SET
        counts = CASE WHEN u.counts_version > p.counts_version
                      THEN CAST(u.counts AS jsonb) ELSE p.counts END,
        counts_version = greatest(p.counts_version, u.counts_version),
        derived_status = CASE WHEN u.derived_status_version > p.derived_status_version
                              THEN u.derived_status ELSE p.derived_status END,
        derived_status_version = greatest(p.derived_status_version, u.derived_status_version)
    FROM u JOIN newer USING (id)
    WHERE p.id = u.id
    """
)


async def apply_progress(
    conn: AsyncConnection,
    counts: Mapping[UUID, tuple[int, Counts]],
    derived: Mapping[UUID, tuple[int, Category]],
) -> int:
    """Store the aggregator's counts and derived statuses (each with its version) of many
    projects in ONE statement, each only where newer than the stored one; how many rows moved."""
    ids = sorted(counts.keys() | derived.keys())
    if not ids:
        return 0
    no_counts: tuple[None, None] = (None, None)
    result = await conn.execute(
        _APPLY_PROGRESS,
        {
            "ids": ids,
            "counts": [_json(counts.get(p, no_counts)[1]) for p in ids],
            "counts_versions": [counts.get(p, no_counts)[0] for p in ids],
            "derived": [derived.get(p, no_counts)[1] for p in ids],
            "derived_versions": [derived.get(p, no_counts)[0] for p in ids],
        },
    )
    return result.rowcount


def _json(counts: Counts | None) -> str | None:
    return None if counts is None else counts.model_dump_json()


async def lock_archived_before(
    conn: AsyncConnection, touched_at: Mapping[UUID, datetime]
) -> list[ProjectState]:
    """Live projects archived before the time given for each: ONE statement, which locks only
    those (usually none), in key order."""
    ids = sorted(touched_at)
    touched = (
        func.unnest(
            bindparam("ids", ids, type_=ARRAY(Uuid())),
            bindparam("times", [touched_at[p] for p in ids], type_=ARRAY(DateTime(timezone=True))),
        )
        .table_valued("id", "touched_at")
        .render_derived(name="touched")
    )
    stmt = (
        select(projects)
        .join(touched, touched.c.id == projects.c.id)
        .where(projects.c.deleted.is_(False), projects.c.archived_at < touched.c.touched_at)
        .order_by(projects.c.id)
        .with_for_update(of=projects, key_share=True)
    )
    rows = (await conn.execute(stmt)).mappings().all()
    return [ProjectState.model_validate(plain(row)) for row in rows]
