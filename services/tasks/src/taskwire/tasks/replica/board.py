"""What a status's new category does to the tasks on this service's board, and what every
rewrite of a status's tasks shares (the status taking them, the event of each).

A recategorisation runs in the consumer's transaction after the status row was written (and so
locked): a task create or move into that status FOR SHARE-locks it, so it either committed
before (and is rewritten here) or waits and then sees the new category. Each task rewritten gets
version + 1 and its own event, written by the same transaction, so the aggregator's counts
follow. A deleted status's tasks move in chunks (`taskwire.tasks.status_deletion`).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Row, TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events import Envelope
from taskwire.common.events.changes import changed
from taskwire.common.events.projects import Category, StatusState
from taskwire.common.events.tasks import TASK_UPDATED
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
TARGET = text(
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
    return [rewritten(row, event_type, actor) for row in rows]


def rewritten(row: Row[Any], event_type: str, actor: UUID | None) -> Envelope:
    """The event of a task a status change rewrote (`row`: the task and its old place)."""
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
