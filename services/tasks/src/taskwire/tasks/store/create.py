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
from typing import Any, Final
from uuid import UUID

import asyncpg
import orjson
from sqlalchemy import LargeBinary, Numeric, TextClause, bindparam, insert, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taskwire.common.events.tasks import TaskState
from taskwire.tasks.idempotency import KEY_CONSTRAINT, Claim, KeyTaken
from taskwire.tasks.tables import tasks

_ALLOCATE: Final = """
guard AS (
    SELECT 1 FROM members caller
    WHERE caller.workspace_id = :workspace_id AND caller.user_id = :caller
      AND caller.removed IS false AND caller.role IN ('owner', 'admin', 'member')
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
# end of the column were known: the statement writes the allocated ones into both.
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
event AS (
    INSERT INTO outbox (id, routing_key, payload, headers)
    SELECT :event_id, :routing_key,
           convert_to(jsonb_set(jsonb_set(CAST(convert_from(:payload, 'UTF8') AS jsonb),
                                          '{{data,number}}', to_jsonb(task.number)),
                                '{{data,position}}', to_jsonb(CAST(task.position AS text))
                     )::text, 'UTF8'),
           :headers
    FROM task
)
{{answer}}
SELECT seq.key, task.number, task.position FROM task, seq"""

_ANSWER: Final = """,
answer AS (
    INSERT INTO idempotency_keys (user_id, key, fingerprint, status_code, response)
    SELECT :caller, :key, :fingerprint, 201,
           jsonb_set(jsonb_set(jsonb_set(:response,
               '{number}', to_jsonb(task.number)),
               '{position}', to_jsonb(CAST(task.position AS text))),
               '{key}', to_jsonb(seq.key || '-' || task.number))
    FROM task, seq
)"""

_INSERTED: Final = {"id", "project_id", "workspace_id", "title", "description", "status_id"} | {
    "assignee_id",
    "due_date",
    "version",
    "created_at",
    "updated_at",
}
_TYPES: Final = (
    bindparam("payload", type_=LargeBinary),
    bindparam("headers", type_=JSONB),
    bindparam("rank", type_=Numeric),
)
_PLAIN: Final = text(_CREATE.replace("{answer}", "")).bindparams(*_TYPES)
_CLAIMED: Final = text(_CREATE.replace("{answer}", _ANSWER)).bindparams(
    *_TYPES, bindparam("fingerprint", type_=LargeBinary), bindparam("response", type_=JSONB)
)


def _positional(stmt: TextClause) -> tuple[str, tuple[str, ...]]:
    """The statement as asyncpg takes it ($1, $2, ...) and the names in that order."""
    compiled = stmt.compile(dialect=asyncpg_dialect())  # type: ignore[no-untyped-call]
    return str(compiled), tuple(compiled.positiontup or ())


_PLAIN_SQL: Final = _positional(_PLAIN)
_CLAIMED_SQL: Final = _positional(_CLAIMED)
_BULK: Final = text(f"WITH {_ALLOCATE} SELECT key, last_number, last_position FROM seq")


@dataclass(frozen=True, slots=True)
class Allocated:
    project_key: str
    number: int  # the last one given
    position: Decimal  # the new task's rank; for a bulk, the last one given


async def create_task(
    engine: AsyncEngine,
    task: TaskState,
    rank: Decimal | None,
    ceiling: int | None,
    event: dict[str, Any],
    claim: Claim | None,
) -> Allocated | None:
    """Write `task` (its number, and its rank unless `rank` places it, allocated here) with its
    event, and the answer under `claim`. None when the guard refused: nothing was written.
    Raises KeyTaken when the claim's key was used before (nothing was written either).

    The statement goes to the pool's asyncpg connection directly: it is the hot path, and
    SQLAlchemy's execution layer (compile cache lookup, parameter processing, result wrapping)
    cost more than the statement's own binding. It runs outside any transaction: one statement
    is atomic on its own."""
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
        "event_id": event["id"],
        "routing_key": event["routing_key"],
        "payload": event["payload"],
        # The pool's connections read and write json as text (SQLAlchemy's codec).
        "headers": orjson.dumps(event["headers"]).decode(),
    }
    sql, names = _PLAIN_SQL
    if claim is not None:
        sql, names = _CLAIMED_SQL
        values.update(
            key=claim.key,
            fingerprint=claim.fingerprint,
            response=orjson.dumps(claim.response).decode(),
        )
    pooled = await engine.raw_connection()
    try:
        driver: asyncpg.Connection | None = pooled.driver_connection
        if driver is None:
            raise RuntimeError("the pool handed out a closed connection")
        row = await driver.fetchrow(sql, *[values[name] for name in names])
    except asyncpg.UniqueViolationError as exc:
        if claim is not None and exc.constraint_name == KEY_CONSTRAINT:
            raise KeyTaken(claim) from exc
        raise
    finally:
        pooled.close()  # back to the pool
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
