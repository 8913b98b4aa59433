"""SQL for `task_facts`: each task's last applied counting facts and their version."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.aggregator.domain import FactsRow, TaskFacts
from taskwire.aggregator.store import driver
from taskwire.common.events.projects import Category

_FACTS: Final = "task_id, project_id, category, archived, deleted, version"

# A task seen for the first time gets a placeholder that counts nowhere (deleted, version 0);
# ON CONFLICT DO UPDATE locks an existing row, and waits for a concurrent first insert to
# commit, then answers the row as committed. So what a batch compares against is locked and
# current, however many instances consume the queue.
_LOCK_FACTS: Final = text(
    f"""
    INSERT INTO task_facts AS f ({_FACTS})
    SELECT t, p, 'todo', true, true, 0
    FROM unnest(CAST(:task_ids AS uuid[]), CAST(:project_ids AS uuid[])) AS u(t, p)
    ORDER BY t
    ON CONFLICT (task_id) DO UPDATE SET version = f.version
    RETURNING {_FACTS}
    """
)
_READ_FACTS: Final = f"SELECT {_FACTS} FROM task_facts WHERE task_id = ANY($1::uuid[])"
_READ_ROWS: Final = (
    "SELECT task_id::text, project_id::text, category, archived, deleted, version "
    "FROM task_facts WHERE task_id = ANY($1::uuid[])"
)
_PROJECT_FACTS: Final = f"SELECT {_FACTS} FROM task_facts WHERE project_id = $1"

_WRITE_FACTS: Final = text(
    """
    UPDATE task_facts AS f
    SET project_id = u.p, category = u.c, archived = u.a, deleted = u.d, version = u.v
    FROM unnest(
        CAST(:task_ids AS uuid[]), CAST(:project_ids AS uuid[]), CAST(:categories AS text[]),
        CAST(:archived AS bool[]), CAST(:deleted AS bool[]), CAST(:versions AS int[])
    ) AS u(t, p, c, a, d, v)
    WHERE f.task_id = u.t
    """
)


def _facts(rows: Iterable[Any]) -> dict[UUID, TaskFacts]:
    return {
        row[0]: TaskFacts(row[0], row[1], Category(row[2]), row[3], row[4], row[5]) for row in rows
    }


async def lock_facts(conn: AsyncConnection, tasks: dict[UUID, UUID]) -> dict[UUID, TaskFacts]:
    """The held facts of these tasks (task id: project id), locked until the transaction ends;
    a task never seen before holds a placeholder at version 0 that counts nowhere."""
    ids = sorted(tasks)
    params = {"task_ids": ids, "project_ids": [tasks[t] for t in ids]}
    return _facts(await conn.execute(_LOCK_FACTS, params))


async def read_facts(
    conn: AsyncConnection, task_ids: Sequence[UUID | str]
) -> dict[UUID, TaskFacts]:
    """The held facts of these tasks, unlocked (what reconcile compares a snapshot page with)."""
    return _facts(await (await driver(conn)).fetch(_READ_FACTS, list(task_ids)))


async def read_rows(conn: AsyncConnection, task_ids: Sequence[str]) -> dict[str, FactsRow]:
    """The held facts of these tasks as text rows, the tasks service's snapshot's own shape."""
    rows = await (await driver(conn)).fetch(_READ_ROWS, list(task_ids))
    return {row[0]: FactsRow._make(row) for row in rows}


async def write_facts(conn: AsyncConnection, facts: Iterable[TaskFacts]) -> None:
    """Overwrite locked rows (see `lock_facts`) with newer facts."""
    rows = sorted(facts, key=lambda f: f.task_id)
    if not rows:
        return
    await conn.execute(
        _WRITE_FACTS,
        {
            "task_ids": [f.task_id for f in rows],
            "project_ids": [f.project_id for f in rows],
            "categories": [f.category.value for f in rows],
            "archived": [f.archived for f in rows],
            "deleted": [f.deleted for f in rows],
            "versions": [f.version for f in rows],
        },
    )


async def project_facts(conn: AsyncConnection, project_id: UUID) -> list[TaskFacts]:
    rows = await (await driver(conn)).fetch(_PROJECT_FACTS, project_id)
    return list(_facts(rows).values())


async def held_task_ids(conn: AsyncConnection, project_id: UUID | None) -> set[str]:
    """Tasks whose facts count somewhere (not deleted), in one project or all, as text."""
    sql = "SELECT task_id::text FROM task_facts WHERE NOT deleted"
    args: list[UUID] = []
    if project_id is not None:
        sql += " AND project_id = $1"
        args.append(project_id)
    return {row[0] for row in await (await driver(conn)).fetch(sql, *args)}
