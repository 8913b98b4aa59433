"""The two statements of every change to a task, both single autocommit statements.

RT1 (`read_task`) reads the task with all a change needs to decide: the caller's role, the
profiles the answer embeds and, for a move, the target column around the requested neighbours.
Python then computes the next state and its event. RT2 (`write_change`) writes both in one
statement, on condition that the task is still at the version RT1 read and that what RT1 checked
still holds (the caller a writer, the assignee a member, the target status alive). Nothing is
locked between the two: a concurrent change makes RT2 match no row, and the caller decides.

Like a create's, both are written once, at import, and run on the pooled asyncpg connection
itself: building a SQLAlchemy statement per request (its aliases, subqueries and cache key) cost
a move several times what its two round trips did. What varies from one change to another is a
null parameter, never the statement: a guard or a column read that does not apply is off.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final
from uuid import UUID

from sqlalchemy import LargeBinary, bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.common.events import Envelope
from taskwire.common.events.projects import Category, Role
from taskwire.common.events.tasks import TaskState
from taskwire.common.outbox import EventStatements, Positional
from taskwire.tasks.domain import ceiling
from taskwire.tasks.store import (
    COLUMNS,
    LIVE_WRITER,
    PROFILE_COLUMNS,
    PROFILE_ROLES,
    Person,
    fetchrow,
    person,
    placement,
    task_state,
)

_PROFILES: Final = [f"{r}.{name} AS {r}_{name}" for r in PROFILE_ROLES for name in PROFILE_COLUMNS]

# RT1: the live task of a live project, as `store.viewed` shows it (each profile null when the
# replica has no member row), with the caller's live role. `{column}` and `{target}` are the
# target column's reads, for a move only.
_READ: Final = f"""
SELECT {", ".join(f"t.{name}" for name in COLUMNS)}, p.key AS project_key,
       {", ".join(_PROFILES)}, me.role AS caller_role{{column}}
FROM tasks t
JOIN projects p ON p.id = t.project_id
LEFT JOIN members assignee
       ON assignee.workspace_id = t.workspace_id AND assignee.user_id = t.assignee_id
LEFT JOIN members reporter
       ON reporter.workspace_id = t.workspace_id AND reporter.user_id = t.reporter_id
LEFT JOIN members me
       ON me.workspace_id = t.workspace_id AND me.user_id = :caller
      AND me.removed IS false{{target}}
WHERE t.id = :task_id AND t.deleted IS false AND p.deleted IS false"""

# A move's target column, correlated to the task row: `:status_id` (null: the task's own), its
# category if it is a live status of the task's project, the gap `:after`/`:before` name in it
# (each null when not asked), and its end: past its ranks and the project's mark.
_COLUMN: Final = f""",
       (SELECT s.category FROM statuses s
        WHERE s.id = target.status_id AND s.project_id = t.project_id AND s.deleted IS false)
           AS target_category,
       {placement.gap("t.project_id", "target.status_id")},
       GREATEST(p.last_position,
                (SELECT max(peer.position) FROM tasks peer
                 WHERE {placement.column("t.project_id", "target.status_id")})) AS column_end,
       p.last_position"""
_TARGET: Final = f"""
CROSS JOIN LATERAL (SELECT COALESCE(CAST(:status_id AS uuid), t.status_id) AS status_id) target
CROSS JOIN {placement.near("t.project_id", "target.status_id")}"""

_READ_TASK: Final = Positional.compile(text(_READ.format(column="", target="")))
_READ_MOVE: Final = Positional.compile(text(_READ.format(column=_COLUMN, target=_TARGET)))

# Every field a change may touch: RT2 writes the whole next state, which the version guards.
_WRITTEN: Final = ("title", "description", "status_id", "category", "position", "priority")
_WRITTEN_TOO: Final = ("assignee_id", "due_date", "archived_at", "deleted", "version", "updated_at")

# RT2. Its guards beside the version: the caller a live writer; `:assignee` (when one is newly
# set; null otherwise) a live member; `:status` (a move's target; null otherwise) alive in the
# task's project, share-locked so that a status deletion either waits for this move or makes it
# fail, never leaves the task behind in a deleted column. `:mark` (null: none) raises the
# project's end-of-column mark to it, for a move past the end. The event's row is written exactly
# when the task's is, and the statement returns a row exactly then.
_WRITE: Final = Positional.compile(
    text(f"""
WITH alive AS (
    SELECT id FROM statuses
    WHERE id = :status AND project_id = :project_id AND deleted IS false
    FOR SHARE
),
updated AS (
    UPDATE tasks
    SET {", ".join(f"{name} = :{name}" for name in _WRITTEN + _WRITTEN_TOO)}
    WHERE id = :id AND version = :read_version AND deleted IS false
      AND EXISTS ({LIVE_WRITER})
      AND (CAST(:assignee AS uuid) IS NULL OR EXISTS (
              SELECT 1 FROM members assignee
              WHERE assignee.workspace_id = :workspace_id AND assignee.user_id = :assignee
                AND assignee.removed IS false))
      AND (CAST(:status AS uuid) IS NULL OR EXISTS (SELECT 1 FROM alive))
    RETURNING id
),
mark AS (
    UPDATE projects SET last_position = GREATEST(last_position, CAST(:mark AS bigint))
    WHERE id = :project_id AND CAST(:mark AS bigint) IS NOT NULL
      AND EXISTS (SELECT 1 FROM updated)
)
INSERT INTO outbox (id, routing_key, payload, headers)
SELECT CAST(:event_id AS uuid), :event_routing_key, :event_payload, :event_headers FROM updated
RETURNING seq""").bindparams(
        bindparam("event_payload", type_=LargeBinary), bindparam("event_headers", type_=JSONB)
    )
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
    engine: AsyncEngine, task_id: UUID, caller: UUID, target: Target | None = None
) -> Snapshot | None:
    """RT1: the live task (None if unknown or deleted) and what a change of it must know."""
    values: dict[str, UUID | None] = {"task_id": task_id, "caller": caller}
    statement = _READ_TASK
    if target is not None:
        statement = _READ_MOVE
        values.update(status_id=target.status_id, after=target.after, before=target.before)
    row = await fetchrow(engine, statement, values)
    if row is None:
        return None
    column = None
    if target is not None:
        category = None if row["target_category"] is None else Category(row["target_category"])
        column = Column(
            category,
            *(row["after"], row["before"], row["below_after"], row["above_before"]),
            *(row["column_end"], row["last_position"]),
        )
    return Snapshot(
        task_state(row),
        row["project_key"],
        None if row["caller_role"] is None else Role(row["caller_role"]),
        person(row, "reporter"),
        person(row, "assignee"),
        column,
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
    """RT2: save `task` and its event if it is still at `read_version` and the guards hold:
    the caller a live writer, `assignee` (when one is newly set) a live member, `status` (for a
    move) alive in the task's project. `mark` raises the project's end-of-column mark to it, for
    a move past the end. False when nothing was written."""
    values = {
        **task.model_dump(include={"id", "project_id", "workspace_id", *_WRITTEN, *_WRITTEN_TOO}),
        "category": task.category.value,
        "priority": task.priority.value,
        "position": Decimal(task.position),
        "read_version": read_version,
        "caller": caller,
        "assignee": assignee,
        "status": status,
        "mark": mark,
    }
    return await statements.fetchrow(_WRITE, values, event) is not None
