"""The two statements of every change to a task, both single autocommit statements.

RT1 (`read_task`) reads the task with all a change needs to decide: the caller's role, the
profiles the answer embeds and, for a move, the target column around the requested neighbours.
Python then computes the next state and its event. RT2 (`write_change`) writes both in one
statement, on condition that the task is still at the version RT1 read and that what RT1 checked
still holds (the caller a writer, the assignee a member, the target status alive). Nothing is
locked between the two: a concurrent change makes RT2 match no row, and the caller decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Exists,
    Numeric,
    Uuid,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events import Envelope
from taskwire.common.events.projects import Category, Role
from taskwire.common.events.tasks import TaskState
from taskwire.common.outbox import EventStatements
from taskwire.tasks.domain import WRITERS, ceiling
from taskwire.tasks.store import Person, person, task_state, viewed
from taskwire.tasks.store.placement import column_rank, gap
from taskwire.tasks.tables import members, projects, statuses, tasks

# Every field a change may touch: RT2 writes the whole next state, which the version guards.
_WRITTEN = frozenset(
    {"title", "description", "status_id", "category", "position", "priority", "assignee_id"}
    | {"due_date", "archived_at", "deleted", "version", "updated_at"}
)


@dataclass(frozen=True, slots=True)
class Target:
    """Where a move asks to go: a status (None: the task's own) and neighbours in it."""

    status_id: UUID | None
    after: UUID | None
    before: UUID | None


@dataclass(frozen=True, slots=True)
class Column:
    """The target column as RT1 saw it (a `domain.Gap`, and where its end is)."""

    category: Category | None  # None: no live status of the task's project
    after: Decimal | None  # the `after` neighbour's rank (None: not asked, or not in the column)
    before: Decimal | None
    below_after: Decimal | None  # the rank now just below `after`, None at the end
    above_before: Decimal | None  # the rank now just above `before`, None at the top
    end: Decimal  # past it is the end of the column: max(its ranks, the project's mark)
    mark: int  # the project's end-of-column mark (projects.last_position)

    def mark_past(self, task: TaskState) -> int | None:
        """The mark that keeps creates at the end past the moved task, if it must rise."""
        needed = ceiling(Decimal(task.position))
        return needed if needed > self.mark else None


@dataclass(frozen=True, slots=True)
class Snapshot:
    task: TaskState
    key: str  # the project's key, for the answer's KEY-42
    role: Role | None  # the caller's live role in the task's workspace, per the replica
    reporter: Person | None
    assignee: Person | None
    column: Column | None  # only for a move


async def read_task(
    conn: AsyncConnection, task_id: UUID, caller: UUID, target: Target | None = None
) -> Snapshot | None:
    """RT1: the live task (None if unknown or deleted) and what a change of it must know."""
    me = members.alias("me")
    stmt = (
        viewed()
        .add_columns(
            me.c.role.label("caller_role"), *(_column(target) if target is not None else ())
        )
        .outerjoin(
            me,
            (me.c.workspace_id == tasks.c.workspace_id)
            & (me.c.user_id == caller)
            & me.c.removed.is_(False),
        )
        .where(tasks.c.id == task_id, tasks.c.deleted.is_(False), projects.c.deleted.is_(False))
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    column = None
    if target is not None:
        category = None if row.target_category is None else Category(row.target_category)
        column = Column(
            category,
            *(row.after, row.before, row.below_after, row.above_before),
            *(row.column_end, row.last_position),
        )
    return Snapshot(
        task_state(row),
        row.project_key,
        None if row.caller_role is None else Role(row.caller_role),
        person(row, "reporter"),
        person(row, "assignee"),
        column,
    )


def _column(target: Target) -> tuple[ColumnElement[Any], ...]:
    """The target column, correlated to the task row: its status, the gap, its end."""
    status = tasks.c.status_id if target.status_id is None else literal(target.status_id, Uuid)
    return (
        select(statuses.c.category)
        .where(
            statuses.c.id == status,
            statuses.c.project_id == tasks.c.project_id,
            statuses.c.deleted.is_(False),
        )
        .scalar_subquery()
        .label("target_category"),
        *gap(tasks.c.project_id, status, target.after, target.before),
        func.greatest(
            projects.c.last_position,
            column_rank(tasks.c.project_id, status, func.max),
            type_=Numeric,
        ).label("column_end"),
        projects.c.last_position,
    )


async def write_change(
    statements: EventStatements,
    read_version: int,
    task: TaskState,
    event: Envelope,
    *,
    caller: UUID,
    assignee: UUID | None = None,
    status: UUID | None = None,
    mark: int | None = None,
) -> bool:
    """RT2: save `task` and its event if it is still at `read_version` and the guards hold.

    Guards: the caller a live writer; `assignee` (when one is newly set) a live member; `status`
    (for a move) alive in the task's project, share-locked so that a status deletion either
    waits for this move or makes it fail, never leaves the task behind in a deleted column.
    `mark` raises the project's end-of-column mark to it, for a move past the end.
    False when nothing was written.
    """
    guards = [_live_member(task.workspace_id, caller, *sorted(WRITERS))]
    if assignee is not None:
        guards.append(_live_member(task.workspace_id, assignee))
    ctes = []
    if status is not None:
        alive = (
            select(statuses.c.id)
            .where(
                statuses.c.id == status,
                statuses.c.project_id == task.project_id,
                statuses.c.deleted.is_(False),
            )
            .with_for_update(read=True)
            .cte("alive")
        )
        guards.append(exists(select(alive.c.id)))
    values = task.model_dump(include=set(_WRITTEN))
    values["position"] = Decimal(task.position)
    updated = (
        update(tasks)
        .where(
            tasks.c.id == task.id,
            tasks.c.version == read_version,
            tasks.c.deleted.is_(False),
            *guards,
        )
        .values(values)
        .returning(tasks.c.id)
        .cte("updated")
    )
    if mark is not None:
        ctes.append(
            update(projects)
            .where(projects.c.id == task.project_id, exists(select(updated.c.id)))
            .values(last_position=func.greatest(projects.c.last_position, mark))
            .cte("mark")
        )
    stmt = statements.outbox.insert_if(updated).add_cte(updated, *ctes)
    return await statements.execute(stmt, event)


def _live_member(workspace_id: UUID, user_id: UUID, *roles: str) -> Exists:
    member = exists().where(
        members.c.workspace_id == workspace_id,
        members.c.user_id == user_id,
        members.c.removed.is_(False),
    )
    return member.where(members.c.role.in_(roles)) if roles else member
