"""SQL for the aggregator's tables: set-based, one statement per step of a batch.

Every statement takes arrays (`unnest`), so a batch of any size costs the same few round trips,
and touches rows in key order, so two aggregator instances lock in the same order and cannot
deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

import asyncpg
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.aggregator.domain import FIELDS, Delta, TaskFacts
from taskwire.common.events.projects import Category, Counts


@dataclass(frozen=True, slots=True)
class ProjectCounts:
    """A project's counts as stored, with the version that grows with every change to them."""

    project_id: UUID
    workspace_id: UUID | None
    counts: Counts
    version: int


_COLUMNS: Final = ", ".join(FIELDS)
_FACTS: Final = "task_id, project_id, category, archived, deleted, version"

# A task seen for the first time gets a placeholder that counts nowhere (deleted, version 0);
# ON CONFLICT DO UPDATE locks an existing row, and waits for a concurrent first insert to
# commit, then answers the row as committed. So what a batch compares against is locked and
# current, however many instances consume the queue.
_LOCK_FACTS: Final = text(
    f"""
    INSERT INTO task_facts AS f ({_FACTS})
    SELECT t, p, 'todo', true, true, 0
    FROM unnest(CAST(:task_ids AS uuid[]), CAST(:project_ids AS uuid[])) AS u(t, p)
    ORDER BY t
    ON CONFLICT (task_id) DO UPDATE SET version = f.version
    RETURNING {_FACTS}
    """
)
_READ_FACTS: Final = f"SELECT {_FACTS} FROM task_facts WHERE task_id = ANY($1::uuid[])"
_READ_ROWS: Final = (
    "SELECT task_id::text, project_id::text, category, archived, deleted, version "
    "FROM task_facts WHERE task_id = ANY($1::uuid[])"
)
_PROJECT_FACTS: Final = f"SELECT {_FACTS} FROM task_facts WHERE project_id = $1"

_WRITE_FACTS: Final = text(
    """
    UPDATE task_facts AS f
    SET project_id = u.p, category = u.c, archived = u.a, deleted = u.d, version = u.v
    FROM unnest(
        CAST(:task_ids AS uuid[]), CAST(:project_ids AS uuid[]), CAST(:categories AS text[]),
        CAST(:archived AS bool[]), CAST(:deleted AS bool[]), CAST(:versions AS int[])
    ) AS u(t, p, c, a, d, v)
    WHERE f.task_id = u.t
    """
)

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


async def _driver(conn: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under `conn`: reads of many rows skip SQLAlchemy's row
    processing, several times the cost of the rows themselves.

    Only for reads outside a transaction, or after a statement through `conn` has begun it:
    SQLAlchemy sends BEGIN lazily, with its first statement, so a statement sent here first
    would run (and release its locks) on its own.
    """
    raw = await conn.get_raw_connection()
    driver: asyncpg.Connection | None = raw.driver_connection
    if driver is None:
        raise RuntimeError("the connection is closed")
    return driver


def _facts(rows: Iterable[Any]) -> dict[UUID, TaskFacts]:
    return {
        row[0]: TaskFacts(row[0], row[1], Category(row[2]), row[3], row[4], row[5]) for row in rows
    }


def _counts(row: Row[Any]) -> ProjectCounts:
    values = row._mapping
    counts = Counts(**{name: values[name] for name in FIELDS})
    return ProjectCounts(
        values["project_id"], values["workspace_id"], counts, values["counts_version"]
    )


async def lock_facts(conn: AsyncConnection, tasks: dict[UUID, UUID]) -> dict[UUID, TaskFacts]:
    """The held facts of these tasks (task id: project id), locked until the transaction ends;
    a task never seen before holds a placeholder at version 0 that counts nowhere."""
    ids = sorted(tasks)
    params = {"task_ids": ids, "project_ids": [tasks[t] for t in ids]}
    return _facts(await conn.execute(_LOCK_FACTS, params))


async def read_facts(
    conn: AsyncConnection, task_ids: Sequence[UUID | str]
) -> dict[UUID, TaskFacts]:
    """The held facts of these tasks, unlocked (what reconcile compares a snapshot page with)."""
    return _facts(await (await _driver(conn)).fetch(_READ_FACTS, list(task_ids)))


async def read_rows(
    conn: AsyncConnection, task_ids: Sequence[str]
) -> dict[str, tuple[str, str, str, bool, bool, int]]:
    """The held facts of these tasks as text rows, the tasks service's snapshot's own shape."""
    rows = await (await _driver(conn)).fetch(_READ_ROWS, list(task_ids))
    return {row[0]: tuple(row) for row in rows}


async def write_facts(conn: AsyncConnection, facts: Iterable[TaskFacts]) -> None:
    """Overwrite locked rows (see `lock_facts`) with newer facts."""
    rows = sorted(facts, key=lambda f: f.task_id)
    if not rows:
        return
    await conn.execute(
        _WRITE_FACTS,
        {
            "task_ids": [f.task_id for f in rows],
            "project_ids": [f.project_id for f in rows],
            "categories": [f.category.value for f in rows],
            "archived": [f.archived for f in rows],
            "deleted": [f.deleted for f in rows],
            "versions": [f.version for f in rows],
        },
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


async def project_facts(conn: AsyncConnection, project_id: UUID) -> list[TaskFacts]:
    rows = await (await _driver(conn)).fetch(_PROJECT_FACTS, project_id)
    return list(_facts(rows).values())


async def held_task_ids(conn: AsyncConnection, project_id: UUID | None) -> set[str]:
    """Tasks whose facts count somewhere (not deleted), in one project or all, as text."""
    sql = "SELECT task_id::text FROM task_facts WHERE NOT deleted"
    args: list[UUID] = []
    if project_id is not None:
        sql += " AND project_id = $1"
        args.append(project_id)
    return {row[0] for row in await (await _driver(conn)).fetch(sql, *args)}
