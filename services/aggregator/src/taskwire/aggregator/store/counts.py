"""SQL for `project_counts`: each project's counts, equal to a recount of its facts, and their
version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from uuid import UUID

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.aggregator.domain import FIELDS, Delta, ProjectCounts
from taskwire.common.events.projects import Counts

_COLUMNS: Final = ", ".join(FIELDS)
_ARRAYS: Final = ", ".join(f"CAST(:{name} AS int[])" for name in FIELDS)

_ADD_COUNTS: Final = text(
    f"""
    INSERT INTO project_counts AS c (project_id, workspace_id, {_COLUMNS}, counts_version)
    SELECT p, w, {_COLUMNS}, 1
    FROM unnest(CAST(:project_ids AS uuid[]), CAST(:workspace_ids AS uuid[]), {_ARRAYS})
        AS u(p, w, {_COLUMNS})
    ORDER BY p
    ON CONFLICT (project_id) DO UPDATE SET
        {", ".join(f"{name} = c.{name} + excluded.{name}" for name in FIELDS)},
        workspace_id = coalesce(excluded.workspace_id, c.workspace_id),
        counts_version = c.counts_version + 1,
        updated_at = now()
    RETURNING project_id, workspace_id, {_COLUMNS}, counts_version
    """
)

_SET_COUNTS: Final = text(
    f"""
    INSERT INTO project_counts AS c (project_id, {_COLUMNS}, counts_version)
    SELECT p, {_COLUMNS}, 1
    FROM unnest(CAST(:project_ids AS uuid[]), {_ARRAYS}) AS u(p, {_COLUMNS})
    ORDER BY p
    ON CONFLICT (project_id) DO UPDATE SET
        {", ".join(f"{name} = excluded.{name}" for name in FIELDS)},
        counts_version = c.counts_version + 1,
        updated_at = now()
    RETURNING project_id, workspace_id, {_COLUMNS}, counts_version
    """
)

_LOCK_COUNTS: Final = text(
    f"""
    INSERT INTO project_counts AS c (project_id) VALUES (:project_id)
    ON CONFLICT (project_id) DO UPDATE SET counts_version = c.counts_version
    RETURNING project_id, workspace_id, {_COLUMNS}, counts_version
    """
)

_READ_COUNTS: Final = (
    f"SELECT project_id, workspace_id, {_COLUMNS}, counts_version FROM project_counts"
)


def _counts(row: Row[Any]) -> ProjectCounts:
    values = row._mapping
    counts = Counts(**{name: values[name] for name in FIELDS})
    return ProjectCounts(
        values["project_id"], values["workspace_id"], counts, values["counts_version"]
    )


async def add_counts(
    conn: AsyncConnection, deltas: dict[UUID, Delta], workspaces: dict[UUID, UUID | None]
) -> list[ProjectCounts]:
    """Move each project's counts by its delta (creating the row at zero first); the new counts."""
    projects = sorted(deltas)
    params: dict[str, Any] = {
        "project_ids": projects,
        "workspace_ids": [workspaces.get(p) for p in projects],
    }
    params.update({name: [deltas[p].get(name, 0) for p in projects] for name in FIELDS})
    return [_counts(row) for row in await conn.execute(_ADD_COUNTS, params)]


async def set_counts(conn: AsyncConnection, counts: dict[UUID, Counts]) -> list[ProjectCounts]:
    """Replace projects' counts (a repair by reconcile); the stored result."""
    projects = sorted(counts)
    params: dict[str, Any] = {"project_ids": projects}
    params.update({name: [getattr(counts[p], name) for p in projects] for name in FIELDS})
    return [_counts(row) for row in await conn.execute(_SET_COUNTS, params)]


async def lock_counts(conn: AsyncConnection, project_id: UUID) -> ProjectCounts:
    """A project's counts row, locked until the transaction ends (created at zero if missing,
    so that a batch counting the project's first tasks waits for the lock too)."""
    row = (await conn.execute(_LOCK_COUNTS, {"project_id": project_id})).one()
    return _counts(row)


async def read_counts(
    conn: AsyncConnection, project_ids: Sequence[UUID] | None = None
) -> dict[UUID, ProjectCounts]:
    """Stored counts of these projects (every project when None)."""
    sql = _READ_COUNTS
    params: dict[str, Any] = {}
    if project_ids is not None:
        sql += " WHERE project_id = ANY(CAST(:project_ids AS uuid[]))"
        params["project_ids"] = list(project_ids)
    sql += " ORDER BY project_id"
    rows = await conn.execute(text(sql), params)
    return {found.project_id: found for found in map(_counts, rows)}
