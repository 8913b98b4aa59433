"""Member rows, tombstones included (a removed member keeps its row and version)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events.projects import MemberState, Role
from taskwire.projects.store import LIVE_MEMBER, membership, page_for_member, plain
from taskwire.projects.tables import members, workspaces


async def lock_workspace(conn: AsyncConnection, workspace_id: UUID, user_id: UUID) -> bool:
    """Serialise membership changes of one workspace; False when the caller is not a member.

    Rows are read after the lock, by a later statement, so they include the change that held it.
    """
    stmt = (
        select(workspaces.c.id)
        .join(members, membership(workspaces.c.id, user_id))
        .where(workspaces.c.id == workspace_id)
        .with_for_update(of=workspaces, key_share=True)
    )
    return (await conn.scalar(stmt)) is not None


async def members_by_id(
    conn: AsyncConnection, workspace_id: UUID, *user_ids: UUID
) -> tuple[dict[UUID, MemberState], int]:
    """These users' member rows (tombstones included) and the workspace's number of owners."""
    owners = (
        select(func.count())
        .where(members.c.workspace_id == workspace_id, members.c.role == Role.OWNER, LIVE_MEMBER)
        .scalar_subquery()
    )
    stmt = select(members, owners.label("owners")).where(
        members.c.workspace_id == workspace_id, members.c.user_id.in_(user_ids)
    )
    rows = (await conn.execute(stmt)).mappings().all()
    count = int(rows[0]["owners"]) if rows else 0
    return {r["user_id"]: MemberState.model_validate(plain(r)) for r in rows}, count


async def member_for(
    conn: AsyncConnection, workspace_id: UUID, caller_id: UUID, user_id: UUID
) -> MemberState | None:
    """A live member of the workspace, or None when it is not one or the caller is not one."""
    target = members.alias("target")
    stmt = (
        select(target)
        .join(members, membership(target.c.workspace_id, caller_id))
        .where(
            target.c.workspace_id == workspace_id,
            target.c.user_id == user_id,
            target.c.removed.is_(False),
        )
    )
    row = (await conn.execute(stmt)).mappings().first()
    return None if row is None else MemberState.model_validate(plain(row))


async def members_page(
    conn: AsyncConnection, workspace_id: UUID, user_id: UUID, after: UUID | None, limit: int
) -> list[MemberState] | None:
    """One page of live members by user id, or None when the caller is not a member."""
    other = members.alias("other")
    page = (
        select(other)
        .where(other.c.workspace_id == workspace_id, other.c.removed.is_(False))
        .order_by(other.c.user_id)
        .limit(limit)
    )
    if after is not None:
        page = page.where(other.c.user_id > after)
    rows = await page_for_member(conn, workspace_id, user_id, page, "user_id")
    return None if rows is None else [MemberState.model_validate(plain(r)) for r in rows]


async def save_member(conn: AsyncConnection, member: MemberState) -> None:
    """Insert the member, or overwrite its row (a change, a removal or a revival)."""
    values = member.model_dump()
    stmt = pg_insert(members).values(values)
    kept = {"workspace_id", "user_id", "created_at"}
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[members.c.workspace_id, members.c.user_id],
            set_={k: stmt.excluded[k] for k in values if k not in kept},
        )
    )
