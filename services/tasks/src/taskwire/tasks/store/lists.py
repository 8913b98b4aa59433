"""Pages of tasks: keyset walks of the board, created and updated indexes, never an OFFSET.

Board order is (status position, task rank, task id). The statuses come from the directory, so a
page is one statement of `UNION ALL` lanes, each a bounded walk of `tasks_board` for one status
(the cursor's own status resumes after the cursor's task): page 1000 reads as few rows as page 1.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Integer,
    Row,
    Select,
    and_,
    bindparam,
    literal_column,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.tasks.replica.directory import ProjectView, StatusView
from taskwire.tasks.store import viewed
from taskwire.tasks.store.filters import Filters, Shape, conditions
from taskwire.tasks.store.keyset import KEYS, Cursor, Order
from taskwire.tasks.tables import members, projects, tasks


async def find_task(conn: AsyncConnection, task_id: UUID) -> Row[Any] | None:
    """The live task as a row of `store.viewed`."""
    stmt = viewed().where(tasks.c.id == task_id, tasks.c.deleted.is_(False))
    row: Row[Any] | None = (await conn.execute(stmt)).first()
    return row


async def project_page(
    conn: AsyncConnection,
    project: ProjectView,
    order: Order,
    filters: Filters,
    after: Cursor | None,
    limit: int,
) -> tuple[list[Row[Any]], Cursor | None]:
    """Up to `limit` rows of `store.viewed`, and the cursor of the next page if there is one."""
    if order is Order.BOARD:
        lanes = filters.lanes(project.statuses, after)
        return await _board_page(conn, project.id, lanes, filters, after, limit)
    return await _sorted_page(conn, project.id, order, filters, after, limit)


def board_query(
    project_id: UUID,
    lanes: Sequence[StatusView],
    filters: Filters,
    after: Cursor | None,
    limit: int,
) -> tuple[Select[Any], dict[str, Any]]:
    """One page (plus one row) of rows of `store.viewed` in board order, with their `lane`: the
    statement of its shape and the values it is executed with."""
    resume = next((i for i, lane in enumerate(lanes) if after and lane.id == after.status_id), None)
    stmt = _board_statement(len(lanes), resume, filters.shape(by_lane=True))
    params = {"project_id": project_id, "rows": limit + 1, **filters.params()}
    params |= {f"lane_{i}": lane.id for i, lane in enumerate(lanes)}
    if resume is not None:
        assert after is not None
        params |= {"after_position": after.position, "after_id": after.id}
    return stmt, params


# Built once per shape (how many lanes, which one resumes, which filters), executed with the
# values of each request: building the UNION of lanes and its joins is most of what a board page
# costs in Python, and the shapes are few.
@functools.lru_cache(maxsize=512)
def _board_statement(lanes: int, resume: int | None, shape: Shape) -> Select[Any]:
    rows = bindparam("rows", type_=Integer)
    branches = []
    for ordinal in range(lanes):
        branch = select(tasks, literal_column(str(ordinal)).label("lane")).where(
            tasks.c.project_id == bindparam("project_id"),
            tasks.c.status_id == bindparam(f"lane_{ordinal}", type_=tasks.c.status_id.type),
            *conditions(shape),
        )
        if ordinal == resume:
            start = tuple_(
                bindparam("after_position", type_=tasks.c.position.type),
                bindparam("after_id", type_=tasks.c.id.type),
            )
            branch = branch.where(tuple_(tasks.c.position, tasks.c.id) > start)
        branches.append(branch.order_by(tasks.c.position, tasks.c.id).limit(rows))
    walk = branches[0] if len(branches) == 1 else union_all(*branches).subquery().select()
    # The outer ORDER BY sorts only the lanes' bounded rows: SQL does not promise UNION ALL order.
    page = walk.order_by("lane", "position", "id").limit(rows).subquery("page")
    return viewed(page).order_by(page.c.lane, page.c.position, page.c.id)


async def _board_page(
    conn: AsyncConnection,
    project_id: UUID,
    lanes: Sequence[StatusView],
    filters: Filters,
    after: Cursor | None,
    limit: int,
) -> tuple[list[Row[Any]], Cursor | None]:
    if not lanes:
        return [], None
    rows, last = await _read(*board_query(project_id, lanes, filters, after, limit), conn, limit)
    if last is None:
        return rows, None
    lane = lanes[last.lane]
    return rows, Cursor(
        order=Order.BOARD, id=last.id, lane=lane.position, status_id=lane.id, position=last.position
    )


def sorted_query(
    project_id: UUID, order: Order, filters: Filters, after: Cursor | None, limit: int
) -> Select[Any]:
    """By creation (the id) or last change, either way: the `tasks_created` or `tasks_updated`
    index walked from the cursor, for one page plus one row."""
    names, descending = KEYS[order]
    page = select(tasks).where(
        tasks.c.project_id == project_id, *conditions(filters.shape(by_lane=False))
    )
    if after is not None:
        key, start = _key(tasks, names), _key(after, names)
        page = page.where(key < start if descending else key > start)
    walked = page.order_by(*_sort(tasks, names, descending)).limit(limit + 1).subquery("page")
    return viewed(walked).order_by(*_sort(walked, names, descending))


async def _sorted_page(
    conn: AsyncConnection,
    project_id: UUID,
    order: Order,
    filters: Filters,
    after: Cursor | None,
    limit: int,
) -> tuple[list[Row[Any]], Cursor | None]:
    stmt = sorted_query(project_id, order, filters, after, limit)
    rows, last = await _read(stmt, filters.params(), conn, limit)
    if last is None:
        return rows, None
    names, _ = KEYS[order]
    return rows, Cursor(order=order, **{name: getattr(last, name) for name in names})


async def assigned_page(
    conn: AsyncConnection, user_id: UUID, after: Cursor | None, limit: int
) -> tuple[list[Row[Any]], Cursor | None]:
    """The user's live, unarchived assigned tasks, by id, in every live project of every
    workspace they are still a live member of (the `tasks_assigned` index)."""
    me = members.alias("me")
    page = (
        select(tasks)
        .join(me, and_(me.c.workspace_id == tasks.c.workspace_id, me.c.user_id == user_id))
        .join(projects, projects.c.id == tasks.c.project_id)
        .where(
            tasks.c.assignee_id == user_id,
            tasks.c.deleted.is_(False),
            tasks.c.archived_at.is_(None),
            me.c.removed.is_(False),
            projects.c.deleted.is_(False),
        )
    )
    if after is not None:
        page = page.where(tasks.c.id > after.id)
    walked = page.order_by(tasks.c.id).limit(limit + 1).subquery("page")
    rows, last = await _read(viewed(walked).order_by(walked.c.id), {}, conn, limit)
    return rows, None if last is None else Cursor(order=Order.CREATED, id=last.id)


def _key(source: Any, names: tuple[str, ...]) -> Any:
    """The sort key of a table (its columns, as one row value) or of a cursor (its values, which
    take the columns' types when compared with them)."""
    if not hasattr(source, "c"):
        values = tuple(getattr(source, n) for n in names)
        return values[0] if len(values) == 1 else values
    return source.c[names[0]] if len(names) == 1 else tuple_(*(source.c[n] for n in names))


def _sort(source: Any, names: tuple[str, ...], descending: bool) -> list[Any]:
    return [source.c[n].desc() if descending else source.c[n] for n in names]


async def _read(
    stmt: Select[Any], params: dict[str, Any], conn: AsyncConnection, limit: int
) -> tuple[list[Row[Any]], Row[Any] | None]:
    """The page's rows (the statement reads one extra to tell whether another page follows),
    and its last row when one does."""
    rows = list((await conn.execute(stmt, params)).all())
    page = rows[:limit]
    return page, page[-1] if len(rows) > limit and page else None
