"""The replica's rows: one versioned upsert per kind, for consumed events and read-through alike.

Each writes only when the state's version is newer than the stored one, in one statement
(`INSERT ... ON CONFLICT DO UPDATE ... WHERE stored.version < new.version`), so duplicates,
reordered events and a read-through racing an event all leave the newest state, with no read
first. Each answers whether it wrote, i.e. whether the change is new to this replica.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events.projects import MemberState, ProjectState, StatusState, WorkspaceState
from taskwire.tasks.tables import members, projects, statuses, workspaces


async def save_workspace(conn: AsyncConnection, workspace: WorkspaceState) -> bool:
    return await _upsert(conn, workspaces, workspace)


async def save_member(conn: AsyncConnection, member: MemberState) -> bool:
    return await _upsert(conn, members, member)


async def save_project(conn: AsyncConnection, project: ProjectState) -> bool:
    """The project, and the statuses it carries (project.created, read-through); whether any of
    them was new."""
    saved = await _upsert(conn, projects, project)
    for status in project.statuses or ():
        saved = await save_status(conn, status) or saved
    return saved


async def save_status(conn: AsyncConnection, status: StatusState) -> bool:
    """Also locks the status row (even when stale), so task writes that FOR SHARE it wait for
    this transaction and then see its outcome."""
    return await _upsert(conn, statuses, status)


async def _upsert(conn: AsyncConnection, table: Table, state: BaseModel) -> bool:
    # Only the replicated columns: a row's own columns (a project's `last_number` and
    # `last_position`) are neither in the state nor in the update.
    values = _columns(table, state.model_dump())
    keys = [column.name for column in table.primary_key]
    statement = insert(table).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={name: statement.excluded[name] for name in values if name not in keys},
        where=table.c.version < statement.excluded.version,
    )
    result = await conn.execute(statement.returning(table.c.version))
    return result.first() is not None


def _columns(table: Table, data: dict[str, Any]) -> dict[str, Any]:
    return {c.name: data[c.name] for c in table.columns if c.name in data}
