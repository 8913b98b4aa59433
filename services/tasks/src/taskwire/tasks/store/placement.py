"""Where in its column a task goes when `after` and/or `before` name its neighbours.

One read gives the neighbours' ranks and the ranks just past them (each a bounded walk of
`tasks_board`), a `domain.Gap`; `domain.rank_in` then picks a fractional rank inside it, so
placing a task writes one row and never renumbers the column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, func, null, select
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.tasks.tables import tasks


@dataclass(frozen=True, slots=True)
class Neighbours:
    after: Decimal | None
    before: Decimal | None
    below_after: Decimal | None
    above_before: Decimal | None


def column_rank(
    project_id: Any,
    status_id: Any,
    aggregate: Any,
    where: Callable[[Any], ColumnElement[bool]] | None = None,
) -> Any:
    """`aggregate` of the ranks of a column's live tasks (those `where` keeps), as a scalar
    subquery. `project_id` and `status_id` are values, or columns of an enclosing query's `tasks`
    row, which it then correlates to (a move reads its target column with the task itself)."""
    peer = tasks.alias()  # its own alias: a nested one must not read as the outer's rows
    return (
        select(aggregate(peer.c.position))
        .where(
            peer.c.project_id == project_id,
            peer.c.status_id == status_id,
            peer.c.deleted.is_(False),
            *([] if where is None else [where(peer)]),
        )
        .correlate(tasks)
        .scalar_subquery()
    )


def gap(project_id: Any, status_id: Any, after: UUID | None, before: UUID | None) -> list[Any]:
    """The ranks of a `domain.Gap` as columns named like its fields, for one statement."""

    def rank(aggregate: Any, where: Callable[[Any], ColumnElement[bool]]) -> Any:
        return column_rank(project_id, status_id, aggregate, where)

    after_rank = before_rank = below_after = above_before = null()
    if after is not None:
        after_rank = rank(func.min, lambda peer: peer.c.id == after)
        below_after = rank(func.min, lambda peer: peer.c.position > after_rank)
    if before is not None:
        before_rank = rank(func.min, lambda peer: peer.c.id == before)
        above_before = rank(func.max, lambda peer: peer.c.position < before_rank)
    return [
        after_rank.label("after"),
        before_rank.label("before"),
        below_after.label("below_after"),
        above_before.label("above_before"),
    ]


async def neighbours(
    conn: AsyncConnection,
    project_id: UUID,
    status_id: UUID,
    after: UUID | None,
    before: UUID | None,
) -> Neighbours:
    """The gap `after`/`before` name among the live tasks of one column, in one statement."""
    row = (await conn.execute(select(*gap(project_id, status_id, after, before)))).one()
    return Neighbours(row.after, row.before, row.below_after, row.above_before)
