"""A status deleted or recategorised in the projects service rewrites its tasks here, each with
its own versioned event, once."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from taskwire.common.db import asyncpg_dsn
from taskwire.common.events.projects import (
    PROJECT_CREATED,
    STATUS_DELETED,
    STATUS_UPDATED,
    Category,
    ProjectState,
)
from taskwire.common.events.tasks import TASK_MOVED, TASK_UPDATED
from taskwire.common.ids import new_id
from taskwire.projects.events import project_event, status_event
from taskwire.tasks.replica.board import TargetMissing
from taskwire.testkit.users import Users
from taskwire.testkit.waiting import eventually
from tests.integration.tasks.replica_helpers import (
    ACTOR,
    ReplicaDb,
    deleted,
    project_state,
    status_of,
    workspace_state,
)

TASKS = "SELECT id, status_id, category, position::text, version FROM tasks ORDER BY number"


@pytest.fixture
async def project(db: ReplicaDb) -> ProjectState:
    created = project_state(workspace_state().id)
    await db.apply(project_event(PROJECT_CREATED, created, ACTOR))
    return created


async def test_a_deleted_status_moves_its_live_tasks_to_the_end_of_move_to_in_order(
    db: ReplicaDb, project: ProjectState, users: Users
) -> None:
    admin = users("admin")
    review, done = status_of(project, Category.IN_REVIEW), status_of(project, Category.DONE)
    second = await db.add_task(project, review, "2.5")
    first = await db.add_task(project, review, "1")
    await db.add_task(project, done, "4")
    tombstone = await db.add_task(project, review, "3", deleted=True)
    third = await db.add_task(project, review, "3.75")

    deletion = status_event(STATUS_DELETED, deleted(review, done.id), admin.id)
    await db.apply(deletion)

    moved = {r["id"]: r for r in await db.rows(TASKS) if r["id"] in (first, second, third)}
    assert [(moved[t]["position"], moved[t]["status_id"]) for t in (first, second, third)] == [
        ("5", done.id),
        ("6", done.id),
        ("7", done.id),
    ]
    assert {(r["category"], r["version"]) for r in moved.values()} == {("done", 2)}
    assert await db.row("SELECT status_id, version FROM tasks WHERE id = :id", id=tombstone) == {
        "status_id": review.id,
        "version": 1,
    }
    assert await db.row("SELECT last_position FROM projects") == {"last_position": 7}

    events = await db.events()
    assert [(e.type, e.subject.id, e.subject.version) for e in events] == [
        (TASK_MOVED, task, 2) for task in (first, second, third)
    ]
    assert events[0].actor_id == admin.id
    assert events[0].data["status_id"] == str(done.id)
    assert events[0].data["category"] == "done"
    assert events[0].changes == {
        "status_id": [str(review.id), str(done.id)],
        "category": ["in_review", "done"],
        "position": ["1", "5"],
    }

    await db.apply(deletion)
    assert len(await db.events()) == 3, "a redelivered deletion moves nothing again"
    view = await db.directory.project(project.id)
    assert view is not None
    assert view.status(review.id) is None


async def test_a_deletion_waits_for_its_move_to_status(
    db: ReplicaDb, project: ProjectState
) -> None:
    review = status_of(project, Category.IN_REVIEW)
    task = await db.add_task(project, review, "1")

    with pytest.raises(TargetMissing):
        await db.apply(status_event(STATUS_DELETED, deleted(review, new_id()), ACTOR))

    assert await db.row("SELECT deleted FROM statuses WHERE id = :id", id=review.id) == {
        "deleted": False
    }
    assert await db.row("SELECT status_id FROM tasks WHERE id = :id", id=task) == {
        "status_id": review.id
    }
    assert await db.events() == []


async def test_tasks_sent_to_a_status_deleted_meanwhile_go_to_the_first_todo_column(
    db: ReplicaDb, project: ProjectState
) -> None:
    """B's deletion (to Done) applied before A's (to B): A's tasks cannot wait in dead B."""
    review, issue = status_of(project, Category.IN_REVIEW), status_of(project, Category.ISSUE)
    todo, done = status_of(project, Category.TODO), status_of(project, Category.DONE)
    task = await db.add_task(project, review, "1")

    await db.apply(
        status_event(STATUS_DELETED, deleted(issue, done.id), ACTOR),
        status_event(STATUS_DELETED, deleted(review, issue.id), ACTOR),
    )

    assert await db.row("SELECT status_id, category FROM tasks WHERE id = :id", id=task) == {
        "status_id": todo.id,
        "category": "todo",
    }


async def test_a_create_holding_the_status_is_waited_for_and_its_task_moved(
    db: ReplicaDb, project: ProjectState, database_url: str
) -> None:
    review, done = status_of(project, Category.IN_REVIEW), status_of(project, Category.DONE)
    create = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # A create in flight: it has FOR SHARE-locked the live status and written its task.
        transaction = create.transaction()
        await transaction.start()
        await create.execute(
            "SELECT id FROM statuses WHERE id = $1 AND deleted IS false FOR SHARE", review.id
        )
        await create.execute(
            "INSERT INTO tasks (id, project_id, workspace_id, number, title, status_id, "
            "category, position, priority, reporter_id, version, created_at, updated_at) "
            "VALUES ($1, $2, $3, 1, 'racing', $4, 'in_review', 1, 'none', $1, 1, now(), now())",
            new_id(),
            project.id,
            project.workspace_id,
            review.id,
        )
        deletion = asyncio.create_task(
            db.apply(status_event(STATUS_DELETED, deleted(review, done.id), ACTOR))
        )

        async def deletion_waits() -> bool:
            sql = (
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return bool(await create.fetchval(sql))

        await eventually(deletion_waits, what="the deletion waiting for the create's lock")
        await transaction.commit()
        await deletion
    finally:
        await create.close()

    assert await db.row("SELECT status_id, version FROM tasks") == {
        "status_id": done.id,
        "version": 2,
    }


async def test_a_recategorised_status_recategorises_its_tasks_once(
    db: ReplicaDb, project: ProjectState
) -> None:
    review = status_of(project, Category.IN_REVIEW)
    task = await db.add_task(project, review, "1")
    await db.add_task(project, status_of(project, Category.TODO), "2")
    as_done = review.model_copy(update={"category": Category.DONE, "version": 2})
    renamed = as_done.model_copy(update={"name": "Shipped", "version": 3})

    await db.apply(
        status_event(STATUS_UPDATED, as_done, ACTOR, {"category": ["in_review", "done"]}),
        status_event(STATUS_UPDATED, renamed, ACTOR, {"name": ["In Review", "Shipped"]}),
        status_event(STATUS_UPDATED, as_done, ACTOR, {"category": ["in_review", "done"]}),
    )

    assert await db.row("SELECT category, version FROM tasks WHERE id = :id", id=task) == {
        "category": "done",
        "version": 2,
    }
    (event,) = await db.events()
    assert (event.type, event.subject.id, event.subject.version) == (TASK_UPDATED, task, 2)
    assert event.changes == {"category": ["in_review", "done"]}
    assert event.data["category"] == "done"


async def test_a_rename_arriving_before_the_recategorisation_it_follows_still_recategorises(
    db: ReplicaDb, project: ProjectState
) -> None:
    review = status_of(project, Category.IN_REVIEW)
    task = await db.add_task(project, review, "1")
    as_done = review.model_copy(update={"category": Category.DONE, "version": 2})
    renamed = as_done.model_copy(update={"name": "Shipped", "version": 3})

    await db.apply(
        status_event(STATUS_UPDATED, renamed, ACTOR, {"name": ["In Review", "Shipped"]}),
        status_event(STATUS_UPDATED, as_done, ACTOR, {"category": ["in_review", "done"]}),
    )

    assert await db.row("SELECT category FROM tasks WHERE id = :id", id=task) == {
        "category": "done"
    }
    assert [e.type for e in await db.events()] == [TASK_UPDATED]
