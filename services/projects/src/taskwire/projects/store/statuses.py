"""A project's board of statuses. Deleted statuses stay as tombstones; the board hides them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events.projects import Role, StatusState
from taskwire.projects.store import membership, plain
from taskwire.projects.tables import members, projects, statuses

_SAVED = ("id", "name", "category", "position", "deleted", "version")


async def status_for(
    conn: AsyncConnection, status_id: UUID, user_id: UUID
) -> tuple[StatusState, Role] | None:
    """A live status of a live project and the caller's role; locks the project's board.

    Read the board again after this: rows other than the locked project come from the snapshot
    taken before any wait for the lock.
    """
    stmt = (
        select(statuses, members.c.role)
        .join(projects, projects.c.id == statuses.c.project_id)
        .join(members, membership(projects.c.workspace_id, user_id))
        .where(
            statuses.c.id == status_id,
            statuses.c.deleted.is_(False),
            projects.c.deleted.is_(False),
        )
        .with_for_update(of=projects, key_share=True)
    )
    row = (await conn.execute(stmt)).mappings().first()
    return None if row is None else (StatusState.model_validate(plain(row)), Role(row["role"]))


async def board(conn: AsyncConnection, project_id: UUID) -> list[StatusState]:
    """The project's live statuses in board order."""
    stmt = (
        select(statuses)
        .where(statuses.c.project_id == project_id, statuses.c.deleted.is_(False))
        .order_by(statuses.c.position, statuses.c.id)
    )
    return [StatusState.model_validate(plain(r)) for r in (await conn.execute(stmt)).mappings()]


async def save_board(
    conn: AsyncConnection, changed: list[StatusState], existing: set[UUID], now: datetime
) -> None:
    """Write the statuses a board change touched: new ones inserted, the others updated."""
    new = [s for s in changed if s.id not in existing]
    if new:
        rows = [{**s.model_dump(), "created_at": now, "updated_at": now} for s in new]
        await conn.execute(insert(statuses), rows)
    updated = [s for s in changed if s.id in existing]
    if updated:
        stmt = (
            update(statuses)
            .where(statuses.c.id == bindparam("b_id"))
            .values({f: bindparam(f"b_{f}") for f in _SAVED if f != "id"} | {"updated_at": now})
        )
        await conn.execute(stmt, [{f"b_{f}": getattr(s, f) for f in _SAVED} for s in updated])
