"""Creating tasks: a create is ONE statement, so one round trip and no BEGIN/COMMIT.

`allocate` is the heart of both statements here. It re-checks inside the write what the
directory answered from memory (the caller a live writer, every status alive in the project with
the category the event will carry, share-locked so a status deletion cannot strand the new task;
every assignee a live member), then takes the next numbers and end-of-column ranks from the
project row. That row lock serialises creates per project, so numbers are distinct, and gapless:
a statement that fails rolls its increment back with everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final
from uuid import UUID

import asyncpg
import orjson
from sqlalchemy import LargeBinary, Numeric, bindparam, insert, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events import Envelope
from taskwire.common.events.tasks import TaskState
from taskwire.common.outbox import EventStatements, Positional
from taskwire.tasks.domain import format_rank
from taskwire.tasks.idempotency import KEY_CONSTRAINT, Claim, KeyTaken
from taskwire.tasks.store import LIVE_WRITER
from taskwire.tasks.tables import tasks

_ALLOCATE: Final = f"""
guard AS (
    {LIVE_WRITER}
      AND (SELECT count(*) FROM (
              SELECT 1 FROM statuses
              WHERE (id, category) IN (SELECT * FROM unnest(CAST(:status_ids AS uuid[]),
                                                            CAST(:categories AS text[])))
                AND project_id = :project_id AND deleted IS false
              FOR SHARE) alive) = cardinality(CAST(:status_ids AS uuid[]))
      AND (SELECT count(*) FROM members assignee
           WHERE assignee.workspace_id = :workspace_id AND assignee.removed IS false
             AND assignee.user_id = ANY(CAST(:assignee_ids AS uuid[])))
          = cardinality(CAST(:assignee_ids AS uuid[]))
),
seq AS (
    UPDATE projects
    SET last_number = last_number + :count,
        last_position = CASE WHEN CAST(:ceiling AS bigint) IS NULL THEN last_position + :count
                             ELSE GREATEST(last_position, :ceiling) END
    WHERE id = :project_id AND workspace_id = :workspace_id AND deleted IS false
      AND EXISTS (SELECT 1 FROM guard)
    RETURNING key, last_number, last_position
)"""

# The event and the stored answer were built in Python before the number and the rank at the
# end of the column were known: `filled` holds the allocated ones, written into both.
_CREATE: Final = f"""
WITH {_ALLOCATE},
task AS (
    INSERT INTO tasks (id, project_id, workspace_id, number, title, description, status_id,
                       category, position, priority, assignee_id, reporter_id, due_date,
                       version, created_at, updated_at)
    SELECT :id, :project_id, :workspace_id, seq.last_number, :title, :description, :status_id,
           :category, COALESCE(CAST(:rank AS numeric), seq.last_position), :priority,
           :assignee_id, :caller, :due_date, :version, :created_at, :updated_at
    FROM seq
    RETURNING number, position
),
filled AS (
    SELECT jsonb_build_object('number', task.number,
                              'position', CAST(task.position AS text)) AS fields,
           seq.key, task.number, task.position
    FROM task, seq
),
event AS (
    INSERT INTO outbox (id, routing_key, payload, headers)
    SELECT :event_id, :event_routing_key,
           convert_to(
               jsonb_set(sent.body, '{{data}}', (sent.body -> 'data') || filled.fields)::text,
               'UTF8'),
           :event_headers
    FROM filled, (SELECT CAST(convert_from(:event_payload, 'UTF8') AS jsonb) AS body) sent
)
{{answer}}
SELECT key, number, position FROM filled"""

_ANSWER: Final = """,
answer AS (
    INSERT INTO idempotency_keys (user_id, key, fingerprint, status_code, response)
    SELECT :caller, :key, :fingerprint, 201,
           :response || filled.fields
               || jsonb_build_object('key', filled.key || '-' || filled.number)
    FROM filled
)"""

_INSERTED: Final = {"id", "project_id", "workspace_id", "title", "description", "status_id"} | {
    "assignee_id",
    "due_date",
    "version",
    "created_at",
    "updated_at",
}
_TYPES: Final = (
    bindparam("event_payload", type_=LargeBinary),
    bindparam("event_headers", type_=JSONB),
    bindparam("rank", type_=Numeric),
)
_PLAIN: Final = Positional.compile(text(_CREATE.replace("{answer}", "")).bindparams(*_TYPES))
_CLAIMED: Final = Positional.compile(
    text(_CREATE.replace("{answer}", _ANSWER)).bindparams(
        *_TYPES, bindparam("fingerprint", type_=LargeBinary), bindparam("response", type_=JSONB)
    )
)
_BULK: Final = text(f"WITH {_ALLOCATE} SELECT key, last_number, last_position FROM seq")


@dataclass(frozen=True, slots=True)
class Allocated:
    project_key: str
    number: int  # the last one given
    position: Decimal  # the new task's rank; for a bulk, the last one given

    def given_to(self, task: TaskState) -> TaskState:
        """`task` with the number and the rank allocated to it (a single create's)."""
        return task.model_copy(
            update={"number": self.number, "position": format_rank(self.position)}
        )


async def create_task(
    statements: EventStatements,
    task: TaskState,
    rank: Decimal | None,
    ceiling: int | None,
    event: Envelope,
    claim: Claim | None,
) -> Allocated | None:
    """Write `task` (its number, and its rank unless `rank` places it, allocated here) with its
    event, and the answer under `claim`. None when the guard refused: nothing was written.
    Raises KeyTaken when the claim's key was used before (nothing was written either).

    One statement, outside any transaction (it is atomic on its own), on the pool's asyncpg
    connection directly: it is the hot path."""
    values = {
        **task.model_dump(include=_INSERTED),
        "caller": task.reporter_id,
        "priority": task.priority.value,
        "category": task.category.value,
        "rank": rank,
        "count": 1,
        "ceiling": ceiling,
        "status_ids": [task.status_id],
        "categories": [task.category.value],
        "assignee_ids": [] if task.assignee_id is None else [task.assignee_id],
    }
    statement = _PLAIN
    if claim is not None:
        statement = _CLAIMED
        values.update(
            key=claim.key,
            fingerprint=claim.fingerprint,
            # The pool's connections read and write json as text (SQLAlchemy's codec).
            response=orjson.dumps(claim.response).decode(),
        )
    try:
        row = await statements.fetchrow(statement, values, event)
    except asyncpg.UniqueViolationError as exc:
        if claim is not None and exc.constraint_name == KEY_CONSTRAINT:
            raise KeyTaken(claim) from exc
        raise
    return None if row is None else Allocated(row["key"], row["number"], row["position"])


async def allocate(
    conn: AsyncConnection,
    project: tuple[UUID, UUID],
    caller: UUID,
    count: int,
    statuses: dict[UUID, str],
    assignees: set[UUID],
) -> Allocated | None:
    """Reserve `count` numbers and end-of-column ranks in (project id, workspace id), if the
    caller still writes there, `statuses` (id: category) are alive and `assignees` members."""
    params = {
        "project_id": project[0],
        "workspace_id": project[1],
        "caller": caller,
        "count": count,
        "ceiling": None,
        "status_ids": list(statuses),
        "categories": list(statuses.values()),
        "assignee_ids": sorted(assignees),
    }
    row = (await conn.execute(_BULK, params)).first()
    return None if row is None else Allocated(row.key, row.last_number, Decimal(row.last_position))


async def insert_tasks(conn: AsyncConnection, created: list[TaskState]) -> None:
    """One multi-row INSERT (not one statement per task)."""
    rows = [{**t.model_dump(), "position": Decimal(t.position)} for t in created]
    await conn.execute(insert(tasks).values(rows))
