"""A workspace's whole roster for another service's replica: every member row, tombstones
included, with its version, so the replica can order what it is told against what it holds."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events.projects import MemberState
from taskwire.projects.store import plain
from taskwire.projects.tables import members, workspaces


async def roster_page(
    conn: AsyncConnection, workspace_id: UUID, after: UUID | None, limit: int
) -> list[MemberState] | None:
    """One page of member rows by user id, or None when there is no such workspace."""
    page = (
        select(members)
        .where(members.c.workspace_id == workspace_id)
        .order_by(members.c.user_id)
        .limit(limit)
    )
    if after is not None:
        page = page.where(members.c.user_id > after)
    rows = (await conn.execute(page)).mappings().all()
    # An empty page of a workspace that exists is not its absence.
    if not rows and not await conn.scalar(select(exists().where(workspaces.c.id == workspace_id))):
        return None
    return [MemberState.model_validate(plain(r)) for r in rows]
