"""A deleted status's live tasks moved to its `move_to`, a bounded chunk per transaction.

Moving every task of a status in one transaction grows with the status: tens of thousands of
tasks pass the statement timeout on every delivery, and the deletion ends dead-lettered with its
tasks in a column that no longer exists. So the consumer's unit of work commits after each chunk,
the chunk's tasks with their events. The first commit carries the tombstone; from then on nothing
enters the status (a create or a move into it share-locks it live), so what is left in it is
exactly what is left to move. A delivery that dies part-way keeps the chunks it committed; the
next delivery of the deletion moves the rest: a task moved already is no longer in the status, so
it is neither moved nor announced twice, and the aggregator sees one event per task.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events import Envelope
from taskwire.common.events.projects import StatusDeletedState
from taskwire.common.events.tasks import TASK_MOVED
from taskwire.common.outbox import EventUnitOfWork
from taskwire.tasks.replica import board
from taskwire.tasks.replica.board import TargetMissing

# Tasks per transaction: a chunk's statements stay far within the statement timeout, and a chunk
# adds little to the commits of a large status.
CHUNK: Final = 500

# The next chunk of the status's live tasks, in their order, locked (one moved out meanwhile no
# longer matches and is skipped), to the end of the target column past the project's
# end-of-column mark, which moves past them (the mark a create at the end uses). Nothing moves
# while the status is live in the replica (its deletion not applied, or rolled back).
_MOVE_CHUNK: Final = text(
    """
    WITH locked AS (
        SELECT t.id, t.status_id AS old_status_id, t.category AS old_category,
               t.position AS old_position
        FROM tasks t
        WHERE t.project_id = :project_id AND t.status_id = :status_id AND t.deleted IS false
          AND EXISTS (SELECT 1 FROM statuses s WHERE s.id = :status_id AND s.deleted)
        ORDER BY t.position, t.id
        LIMIT :chunk
        FOR UPDATE OF t
    ),
    old AS (
        SELECT *, row_number() OVER (ORDER BY old_position, id) AS n FROM locked
    ),
    mark AS (
        UPDATE projects SET last_position = last_position + (SELECT count(*) FROM old)
        WHERE id = :project_id AND EXISTS (SELECT 1 FROM old)
        RETURNING last_position - (SELECT count(*) FROM old) AS base
    )
    UPDATE tasks t
    SET status_id = :target_id, category = :category, position = mark.base + old.n,
        version = t.version + 1, updated_at = now()
    FROM old, mark
    WHERE t.id = old.id
    RETURNING t.*, old.old_status_id, old.old_category, old.old_position
    """
)
# The status taking the tasks, share-locked for the chunk as a create locks it; the board's
# default column when `move_to` was deleted in turn (before this deletion or between two of its
# chunks). The board's own, like the event of a rewritten task: one rule for every rewrite.
_TARGET: Final = board.TARGET
_KNOWN: Final = text("SELECT true FROM statuses WHERE id = :move_to AND project_id = :project_id")
_LEFT: Final = text(
    "SELECT true FROM tasks WHERE project_id = :project_id AND status_id = :status_id "
    "AND deleted IS false LIMIT 1"
)


async def has_tasks_left(conn: AsyncConnection, deleted: StatusDeletedState) -> bool:
    """Whether live tasks are still in the status: a delivery that died part-way left them."""
    where = {"project_id": deleted.project_id, "status_id": deleted.id}
    return bool(await conn.scalar(_LEFT, where))


async def move_tasks_of_deleted(
    uow: EventUnitOfWork, deleted: StatusDeletedState, actor: UUID | None
) -> int:
    """Move the deleted status's live tasks to `move_to`, committing `uow` after each chunk with
    the chunk's `task.moved` events; how many moved. The caller has written the tombstone in
    `uow`; a `move_to` not in the replica yet raises `TargetMissing` before any commit (its
    event will come; the deletion is retried)."""
    conn = uow.connection
    known = {"project_id": deleted.project_id, "move_to": deleted.move_to}
    if not await conn.scalar(_KNOWN, known):
        raise TargetMissing(f"status {deleted.move_to} of project {deleted.project_id}")
    moved = 0
    while chunk := await _move_chunk(conn, deleted, actor):
        uow.emit(*chunk)
        await uow.commit()
        moved += len(chunk)
    return moved


async def _move_chunk(
    conn: AsyncConnection, deleted: StatusDeletedState, actor: UUID | None
) -> list[Envelope]:
    known = {"project_id": deleted.project_id, "move_to": deleted.move_to}
    target = (await conn.execute(_TARGET, known)).first()
    if target is None:
        raise TargetMissing(f"no live status in project {deleted.project_id}")
    params = {
        "project_id": deleted.project_id,
        "status_id": deleted.id,
        "target_id": target.id,
        "category": target.category,
        "chunk": CHUNK,
    }
    rows = (await conn.execute(_MOVE_CHUNK, params)).all()
    return [board.rewritten(row, TASK_MOVED, actor) for row in rows]
