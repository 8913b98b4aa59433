"""Each task's counting facts, for the aggregator's recount: every row, deleted ones included.

A page is one statement, a keyset walk on id: the primary key, or `tasks_project_id` within one
project. Rows come back as plain tuples of JSON-ready values (ids as text), which orjson
encodes as they are: no model and no dict per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from uuid import UUID

from sqlalchemy import Result, Select, Text, Uuid, any_, bindparam, cast, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.tasks.tables import tasks

FIELDS: Final = ("id", "project_id", "category", "archived", "deleted", "version")
# One task's FIELDS, in that order: (id, project id, category, archived, deleted, version).
Fact = tuple[Any, ...]

# Ids as text: asyncpg answers its own UUID subclass, which orjson refuses, and a string per id
# in SQL is cheaper than a conversion per id in Python. The order stays on the uuid column (the
# index's), not on the text of the same name.
_FACTS: Final = select(
    cast(tasks.c.id, Text),
    cast(tasks.c.project_id, Text),
    tasks.c.category,
    tasks.c.archived_at.isnot(None).label("archived"),
    tasks.c.deleted,
    tasks.c.version,
).order_by(tasks.c.id)
# One array parameter, however many ids: an IN list would bind (and plan) one per id.
_IDS: Final = bindparam("ids", type_=ARRAY(Uuid))


def facts_query(project_id: UUID | None, after: UUID | None, limit: int) -> Select[Any]:
    """Up to `limit` tasks (of `project_id`, else of every project) with ids above `after`."""
    stmt = _FACTS.limit(limit)
    if project_id is not None:
        stmt = stmt.where(tasks.c.project_id == project_id)
    if after is not None:
        stmt = stmt.where(tasks.c.id > after)
    return stmt


async def facts_page(
    conn: AsyncConnection, project_id: UUID | None, after: UUID | None, limit: int
) -> list[Fact]:
    return _plain(await conn.execute(facts_query(project_id, after, limit)))


async def facts_of(conn: AsyncConnection, ids: Sequence[UUID]) -> list[Fact]:
    """The facts of those of `ids` that exist, by id."""
    stmt = _FACTS.where(tasks.c.id == any_(_IDS))
    return _plain(await conn.execute(stmt, {"ids": list(ids)}))


def _plain(result: Result[Any]) -> list[Fact]:
    # Tuples, not rows: orjson encodes a tuple natively and knows nothing of SQLAlchemy's Row.
    return [tuple(row) for row in result]
