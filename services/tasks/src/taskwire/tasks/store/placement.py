"""Where in its column a task goes when `after` and/or `before` name its neighbours.

One read gives the neighbours' ranks and the ranks just past them (each a bounded walk of
`tasks_board`), a `domain.Gap`; `domain.rank_in` then picks a fractional rank inside it, so
placing a task writes one row and never renumbers the column.

The SQL is written once, at import: a placed create reads the gap alone (`neighbours`), a move
reads it with the task it moves (`store.changes`), from the same fragments.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.common.outbox import Positional
from taskwire.tasks.store import fetchrow


def column(project: str, status: str) -> str:
    """The condition on `peer` that keeps the live tasks of a column; `project` and `status`
    are SQL: bound values, or columns of an enclosing row (a move's target column)."""
    return f"peer.project_id = {project} AND peer.status_id = {status} AND peer.deleted IS false"


def near(project: str, status: str) -> str:
    """A LATERAL FROM item `near` (after, before): the ranks of the tasks `:after` and `:before`
    name, null where one is not asked (a null id), or not a live task of the column."""
    where = column(project, status)
    return f"""LATERAL (
    SELECT (SELECT peer.position FROM tasks peer WHERE {where} AND peer.id = :after) AS after,
           (SELECT peer.position FROM tasks peer WHERE {where} AND peer.id = :before) AS before
) near"""


def gap(project: str, status: str) -> str:
    """The ranks of a `domain.Gap` as select-list items named like its fields, over `near`."""
    where = column(project, status)
    return f"""near.after, near.before,
    (SELECT min(peer.position) FROM tasks peer
     WHERE {where} AND peer.position > near.after) AS below_after,
    (SELECT max(peer.position) FROM tasks peer
     WHERE {where} AND peer.position < near.before) AS above_before"""


_NEIGHBOURS: Final = Positional.compile(
    text(f"SELECT {gap(':project_id', ':status_id')} FROM {near(':project_id', ':status_id')}")
)


@dataclass(frozen=True, slots=True)
class Neighbours:
    after: Decimal | None
    before: Decimal | None
    below_after: Decimal | None
    above_before: Decimal | None


async def neighbours(
    engine: AsyncEngine,
    project_id: UUID,
    status_id: UUID,
    after: UUID | None,
    before: UUID | None,
) -> Neighbours:
    """The gap `after`/`before` name among the live tasks of one column, in one statement."""
    values = {"project_id": project_id, "status_id": status_id, "after": after, "before": before}
    row = await fetchrow(engine, _NEIGHBOURS, values)
    assert row is not None  # a SELECT without a WHERE: one row
    return Neighbours(row["after"], row["before"], row["below_after"], row["above_before"])
