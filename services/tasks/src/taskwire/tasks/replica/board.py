"""What a status change in the projects service does to the tasks on this service's board.

Both run in the consumer's transaction after the status row was written (and so locked): a task
create or move into that status FOR SHARE-locks it, so it either committed before (and is
rewritten here) or waits and then sees the new status. Each task rewritten gets version + 1 and
its own event, written by the same transaction, so the aggregator's counts follow.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Row, TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events import Envelope
from taskwire.common.events.changes import changed
from taskwire.common.events.projects import Category, StatusDeletedState, StatusState
from taskwire.common.events.tasks import TASK_MOVED, TASK_UPDATED
from taskwire.tasks.domain import format_rank
from taskwire.tasks.events import task_event
from taskwire.tasks.store import task_state

# Live tasks of the status, locked; a task moved out meanwhile no longer matches and is skipped.
_LOCKED = """
    locked AS (
        SELECT id, status_id AS old_status_id, category AS old_category,
               position AS old_position
        FROM tasks
        WHERE project_id = :project_id AND status_id = :status_id AND deleted IS false {extra}
        ORDER BY position, id
        FOR UPDATE
    )"""
_RETURNING = "RETURNING t.*, old.old_status_id, old.old_category, old.old_position"

# At the end of the target column, in their current order: ranks past the project's
# end-of-column mark, which moves past them (the same mark a create at the end uses).
_MOVE = text(
    f"""
    WITH {_LOCKED.format(extra="")},
    old AS (
        SELECT *, row_number() OVER (ORDER BY old_position, id) AS n FROM locked
    ),
    mark AS (
        UPDATE projects SET last_position = last_position + (SELECT count(*) FROM old)
        WHERE id = :project_id
        RETURNING last_position - (SELECT count(*) FROM old) AS base
    )
    UPDATE tasks t
    SET status_id = :target_id, category = :category, position = mark.base + old.n,
        version = t.version + 1, updated_at = now()
    FROM old, mark
    WHERE t.id = old.id
    {_RETURNING}
    """
)
_RECATEGORISE = text(
    f"""
    WITH {_LOCKED.format(extra="AND category <> :category")},
    old AS (SELECT * FROM locked)
    UPDATE tasks t
    SET category = :category, version = t.version + 1, updated_at = now()
    FROM old
    WHERE t.id = old.id
    {_RETURNING}
    """
)
# The status taking the tasks, locked like a create locks it. When it was deleted in turn (its
# own deletion applied first), its tasks went on already: the board's default column takes these.
_TARGET = text(
    """
    SELECT id, category FROM statuses
    WHERE project_id = :project_id AND deleted IS false
    ORDER BY id = :move_to DESC, category <> 'todo', position, id
    LIMIT 1
    FOR SHARE
    """
)


class TargetMissing(LookupError):
    """The status taking the tasks is not in the replica yet; its event will come (retry)."""


async def move_tasks_of_deleted(
    conn: AsyncConnection, deleted: StatusDeletedState, actor: UUID | None
) -> list[Envelope]:
    """Move the deleted status's live tasks to `move_to`, each with its `task.moved` event."""
    known = {"project_id": deleted.project_id, "move_to": deleted.move_to}
    exists = await conn.scalar(
        text("SELECT true FROM statuses WHERE id = :move_to AND project_id = :project_id"), known
    )
    target = (await conn.execute(_TARGET, known)).first() if exists else None
    if target is None:
        raise TargetMissing(f"status {deleted.move_to} of project {deleted.project_id}")
    params = {"target_id": target.id, "category": target.category}
    return await _rewrite(conn, _MOVE, deleted, params, TASK_MOVED, actor)


async def recategorise_tasks(
    conn: AsyncConnection, status: StatusState, actor: UUID | None
) -> list[Envelope]:
    """Give the status's live tasks its (new) category, each with its `task.updated` event."""
    params = {"category": status.category.value}
    return await _rewrite(conn, _RECATEGORISE, status, params, TASK_UPDATED, actor)


async def _rewrite(
    conn: AsyncConnection,
    statement: TextClause,
    status: StatusState,
    params: dict[str, Any],
    event_type: str,
    actor: UUID | None,
) -> list[Envelope]:
    where = {"project_id": status.project_id, "status_id": status.id}
    rows = (await conn.execute(statement, where | params)).all()
    return [_event(row, event_type, actor) for row in rows]


def _event(row: Row[Any], event_type: str, actor: UUID | None) -> Envelope:
    after = task_state(row)
    before = after.model_copy(
        update={
            "status_id": row.old_status_id,
            "category": Category(row.old_category),
            "position": format_rank(row.old_position),
        }
    )
    return task_event(
        event_type, after, actor, changed(before, after, ("status_id", "category", "position"))
    )
