"""SQL for the projects service's tables, one module per resource; each takes the connection.

Authorisation reads the caller's membership in the same statement as the entity it guards, so a
guarded read or write costs no extra round trip for the check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, RowMapping, Select, and_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.projects import tables

LIVE_MEMBER = tables.members.c.removed.is_(False)


def membership(workspace_id: Any, user_id: UUID) -> ColumnElement[bool]:
    """The caller's live member row of a workspace (`workspace_id` may be a column)."""
    members = tables.members
    return and_(members.c.workspace_id == workspace_id, members.c.user_id == user_id, LIVE_MEMBER)


def plain(row: RowMapping | Mapping[str, Any]) -> dict[str, Any]:
    """A row with plain Python values.

    asyncpg answers UUIDs as its own subclass of uuid.UUID, which orjson (the event encoder)
    refuses; states built from rows must hold real uuid.UUIDs.
    """
    return {
        key: UUID(bytes=value.bytes)
        if isinstance(value, UUID) and type(value) is not UUID
        else value
        for key, value in row.items()
    }


class Taken(Exception):
    """A value unique among its rows (a slug, a key) is held by another row; the statement's
    transaction is lost."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


@contextmanager
def taken_on(constraint: str) -> Iterator[None]:
    """Turn a unique violation of `constraint` into `Taken`; any other error passes."""
    try:
        yield
    except IntegrityError as exc:
        cause = exc.orig.__cause__ if exc.orig is not None else None
        if getattr(cause, "constraint_name", None) == constraint:
            raise Taken(constraint) from exc
        raise


async def page_for_member(
    conn: AsyncConnection, workspace_id: UUID, user_id: UUID, page: Select[Any], key: str
) -> list[RowMapping] | None:
    """Rows of `page` if the caller is a live member of the workspace, else None; ONE statement.

    The membership row drives a lateral join to the page, so an empty page still answers one row
    (with null columns) and a non-member answers none.
    """
    item = page.lateral("item")
    stmt = (
        select(tables.members.c.user_id.label("caller"), item)
        .select_from(tables.members.outerjoin(item, true()))
        .where(membership(workspace_id, user_id))
        .order_by(item.c[key])
    )
    rows = (await conn.execute(stmt)).mappings().all()
    if not rows:
        return None
    return [row for row in rows if row[key] is not None]
