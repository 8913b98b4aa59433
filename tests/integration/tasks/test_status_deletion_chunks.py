"""A deleted status with more tasks than one transaction can move: they reach `move_to` a chunk
per transaction, each task once with its one event, and a delivery that dies part-way is
finished by the next one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from sqlalchemy.exc import DBAPIError

from taskwire.common.consumer import Consumer
from taskwire.common.db import asyncpg_dsn
from taskwire.common.events import Envelope
from taskwire.common.events.projects import (
    MEMBER_ADDED,
    PROJECT_CREATED,
    STATUS_DELETED,
    Category,
    ProjectState,
    StatusState,
)
from taskwire.common.events.tasks import TASK_MOVED
from taskwire.common.runtime import ServiceRuntime
from taskwire.projects.events import member_event, project_event, status_event
from taskwire.tasks.app import create_app
from taskwire.tasks.settings import TasksSettings
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.integration.tasks.replica_helpers import (
    ACTOR,
    ReplicaDb,
    deleted,
    member_state,
    project_state,
    status_of,
    workspace_state,
)
from tests.support.problems import assert_problem
from tests.support.replica import outgoing
from tests.support.service_fixtures import ServiceUnderTest

# Far more tasks than one statement moves within the timeout below; a chunk moves well within it.
MANY = 20_000
STATEMENT_TIMEOUT_MS = 300

# Where the tasks are, and how many events each one has: `per_task` is every task's count.
PLACES = "SELECT status_id, count(*) AS tasks, min(version), max(version) FROM tasks GROUP BY 1"
EVENTS_PER_TASK = """
    SELECT DISTINCT count(*) AS per_task FROM outbox
    WHERE routing_key = :moved GROUP BY convert_from(payload, 'UTF8')::jsonb -> 'subject' ->> 'id'
"""
MOVED = "SELECT count(*) AS tasks FROM tasks WHERE status_id = :status_id AND version = 2"


@pytest.fixture
def service(tasks_template: str) -> ServiceUnderTest:
    # Without its relay: the events are counted in the outbox, not published.
    return ServiceUnderTest("tasks", tasks_template, partial(create_app, run_relay=False))


@pytest.fixture
def settings(settings: TasksSettings) -> TasksSettings:
    return settings.model_copy(update={"db_statement_timeout_ms": STATEMENT_TIMEOUT_MS})


@pytest.fixture
async def project(db: ReplicaDb) -> ProjectState:
    created = project_state(workspace_state().id)
    await db.apply(project_event(PROJECT_CREATED, created, ACTOR))
    return created


async def add_tasks(db: ReplicaDb, status: StatusState, n: int) -> None:
    """`n` tasks at the end of `status`, in one statement (as n creates would leave them)."""
    await db.execute(
        """
        WITH seq AS (
            UPDATE projects SET last_number = last_number + :n, last_position = last_position + :n
            WHERE id = :project_id RETURNING last_number - :n AS base
        )
        INSERT INTO tasks (id, project_id, workspace_id, number, title, status_id, category,
                           position, priority, reporter_id, version, created_at, updated_at)
        SELECT gen_random_uuid(), :project_id, :workspace_id, base + i, 'task ' || i, :status_id,
               :category, base + i, 'none', :project_id, 1, now(), now()
        FROM seq, generate_series(1, :n) AS i
        """,
        n=n,
        project_id=status.project_id,
        workspace_id=status.workspace_id,
        status_id=status.id,
        category=status.category.value,
    )


async def deliver(runtime: ServiceRuntime, event: Envelope) -> Consumer[Any]:
    """Publish `event` as the projects service's relay would; answer the consumer once it has
    either applied it or given up on it."""
    consumer: Consumer[Any] = runtime.consumers[0]
    settled = consumer.handled + consumer.dead_lettered

    async def routed() -> bool:
        return (await runtime.broker.publish([outgoing(event)])) == [None]

    await runtime.broker.wait_connected(10)
    await eventually(routed, what="the replica's queue bound")
    await eventually(
        lambda: consumer.handled + consumer.dead_lettered > settled,
        timeout=120,
        what="the deletion applied or dead-lettered",
    )
    return consumer


async def test_a_status_too_large_for_one_transaction_reaches_move_to_with_one_event_each(
    runtime: ServiceRuntime, db: ReplicaDb, project: ProjectState
) -> None:
    review, done = status_of(project, Category.IN_REVIEW), status_of(project, Category.DONE)
    await add_tasks(db, review, MANY)

    consumer = await deliver(runtime, status_event(STATUS_DELETED, deleted(review, done.id), ACTOR))

    assert consumer.dead_lettered == 0
    assert await db.rows(PLACES) == [
        {"status_id": done.id, "tasks": MANY, "min": 2, "max": 2},
    ]
    assert await db.rows(EVENTS_PER_TASK, moved=TASK_MOVED) == [{"per_task": 1}]
    assert await db.row("SELECT count(*) AS events FROM outbox") == {"events": MANY}
    assert await db.row("SELECT last_position FROM projects") == {"last_position": 2 * MANY}


@asynccontextmanager
async def last_task_held(
    database_url: str, status: StatusState
) -> AsyncIterator[tuple[asyncpg.Connection, UUID]]:
    """An edit holding the column's last task, and that task: a deletion's run waits at the chunk
    that takes it (the chunks before it committed) until the edit ends with the block."""
    other = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with other.transaction():
            held: UUID = await other.fetchval(
                "SELECT id FROM tasks WHERE status_id = $1 "
                "ORDER BY position DESC LIMIT 1 FOR UPDATE",
                status.id,
            )
            yield other, held
    finally:
        await other.close()


async def waiting_run(other: asyncpg.Connection) -> int:
    """The server process of the run, once it waits for the edit."""

    async def waiting() -> int | None:
        sql = (
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        found: int | None = await other.fetchval(sql)
        return found

    pid = await eventually(waiting, timeout=30, what="the deletion waiting for the edit")
    assert pid is not None
    return pid


async def moved_to(db: ReplicaDb, status: StatusState) -> int:
    (found,) = await db.rows(MOVED, status_id=status.id)
    tasks: int = found["tasks"]
    return tasks


async def test_a_redelivery_after_a_crash_part_way_moves_the_rest_once(
    db: ReplicaDb, project: ProjectState, database_url: str
) -> None:
    review, done = status_of(project, Category.IN_REVIEW), status_of(project, Category.DONE)
    await add_tasks(db, review, 3_000)
    deletion = status_event(STATUS_DELETED, deleted(review, done.id), ACTOR)
    async with last_task_held(database_url, review) as (other, _):
        run = asyncio.create_task(db.apply(deletion))
        pid = await waiting_run(other)
        # The consumer's process dies there: its connection goes, its transaction with it.
        await other.fetchval("SELECT pg_terminate_backend($1)", pid)
        with pytest.raises(DBAPIError):
            await run
    await db.engine.dispose()

    assert 0 < await moved_to(db, done) < 3_000, "the chunks before the crash stay committed"
    assert await db.row("SELECT deleted FROM statuses WHERE id = :id", id=review.id) == {
        "deleted": True
    }

    await db.apply(deletion)

    assert await db.rows(PLACES) == [{"status_id": done.id, "tasks": 3_000, "min": 2, "max": 2}]
    assert await db.rows(EVENTS_PER_TASK, moved=TASK_MOVED) == [{"per_task": 1}]
    assert await db.row("SELECT count(*) AS events FROM outbox") == {"events": 3_000}


async def test_part_way_its_tasks_answer_as_before_and_the_status_takes_no_new_task(
    client: httpx.AsyncClient, users: Users, db: ReplicaDb, project: ProjectState, database_url: str
) -> None:
    ada = users("ada")
    await db.apply(member_event(MEMBER_ADDED, member_state(project.workspace_id, ada), ACTOR))
    review, done = status_of(project, Category.IN_REVIEW), status_of(project, Category.DONE)
    await add_tasks(db, review, 1_200)
    deletion = status_event(STATUS_DELETED, deleted(review, done.id), ACTOR)
    async with last_task_held(database_url, review) as (other, last):
        run = asyncio.create_task(db.apply(deletion))
        await waiting_run(other)
        assert 0 < await moved_to(db, done) < 1_200

        found = await client.get(f"/api/v1/tasks/{last}", headers=ada.auth)
        assert (found.status_code, found.json()["status_id"]) == (200, str(review.id))
        into_review = {"title": "late", "status_id": str(review.id)}
        url = f"/api/v1/projects/{project.id}/tasks"
        refused = await client.post(url, json=into_review, headers=ada.auth)
        assert_problem(refused, 422, "unprocessable")
    await run

    assert await db.rows(PLACES) == [{"status_id": done.id, "tasks": 1_200, "min": 2, "max": 2}]
    assert await db.rows(EVENTS_PER_TASK, moved=TASK_MOVED) == [{"per_task": 1}]
