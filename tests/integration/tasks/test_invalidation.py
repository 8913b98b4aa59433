"""What one process changes in the replica, every other process's directory forgets; a process
that lost the feed forgets everything."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from taskwire.common.db import asyncpg_dsn
from taskwire.common.events.projects import (
    MEMBER_ADDED,
    MEMBER_REMOVED,
    PROJECT_CREATED,
    STATUS_UPDATED,
    Category,
    ProjectState,
)
from taskwire.projects.events import member_event, project_event, status_event
from taskwire.tasks.replica.directory import Directory
from taskwire.tasks.replica.invalidation import APPLICATION_NAME, follow_invalidations, forget
from taskwire.testkit.users import User, Users
from taskwire.testkit.waiting import eventually
from tests.integration.tasks.replica_helpers import (
    ACTOR,
    ReplicaDb,
    member_state,
    project_state,
    status_of,
    workspace_state,
)
from tests.support.background import Background


@pytest.fixture
async def project(db: ReplicaDb, bob: User) -> ProjectState:
    created = project_state(workspace_state().id)
    await db.apply(
        project_event(PROJECT_CREATED, created, ACTOR),
        member_event(MEMBER_ADDED, member_state(created.workspace_id, bob), ACTOR),
    )
    return created


@pytest.fixture
def bob(users: Users) -> User:
    return users("bob")


@pytest.fixture
async def other(
    database_url: str, project: ProjectState
) -> AsyncIterator[tuple[Directory, asyncio.Event]]:
    """Another process's directory on the same database, following the feed from now on (the
    project's own announcements, delivered late, would make it forget what a test cached)."""
    engine = create_async_engine(database_url)
    directory = Directory(engine, None, ttl_seconds=60, max_entries=100)
    listening = asyncio.Event()
    background = Background()
    background.start(
        follow_invalidations(asyncpg_dsn(database_url), directory, listening=listening)
    )
    try:
        await asyncio.wait_for(listening.wait(), 10)
        yield directory, listening
    finally:
        await background.close()
        await engine.dispose()


async def status_name(directory: Directory, project: ProjectState) -> str | None:
    view = await directory.project(project.id)
    status = view.status(status_of(project, Category.TODO).id) if view else None
    return status.name if status else None


def named(directory: Directory, project: ProjectState, name: str) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return await status_name(directory, project) == name

    return probe


async def test_a_change_committed_by_one_process_is_forgotten_by_the_others(
    db: ReplicaDb, other: tuple[Directory, asyncio.Event], project: ProjectState, bob: User
) -> None:
    directory, _ = other
    todo = status_of(project, Category.TODO)
    assert await status_name(directory, project) == "Todo"
    assert await directory.member(project.workspace_id, bob.id) is not None
    # Behind the directory's back, with no announcement: it keeps answering what it cached.
    await db.execute("UPDATE statuses SET name = 'Unannounced' WHERE id = :id", id=todo.id)
    assert await status_name(directory, project) == "Todo"

    renamed = todo.model_copy(update={"name": "Backlog", "version": 2})
    removed = member_state(project.workspace_id, bob, version=2, removed=True)
    await db.apply(
        status_event(STATUS_UPDATED, renamed, ACTOR),
        member_event(MEMBER_REMOVED, removed, ACTOR),
    )

    async def bob_gone() -> bool:
        return await directory.member(project.workspace_id, bob.id) is None

    await eventually(named(directory, project, "Backlog"), what="the rename forgotten")
    await eventually(bob_gone, what="the removal forgotten")


async def test_a_lost_feed_forgets_everything_and_follows_again(
    db: ReplicaDb, other: tuple[Directory, asyncio.Event], project: ProjectState
) -> None:
    directory, listening = other
    todo = status_of(project, Category.TODO)
    assert await status_name(directory, project) == "Todo"
    await db.execute("UPDATE statuses SET name = 'Unannounced' WHERE id = :id", id=todo.id)

    await db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = :name",
        name=APPLICATION_NAME,
    )

    await eventually(named(directory, project, "Unannounced"), what="the directory cleared")
    await eventually(listening.is_set, what="the feed followed again")
    renamed = todo.model_copy(update={"name": "Backlog", "version": 2})
    await db.apply(status_event(STATUS_UPDATED, renamed, ACTOR))
    await eventually(named(directory, project, "Backlog"), what="announcements heard again")


async def test_an_unreadable_announcement_forgets_everything(
    db: ReplicaDb, project: ProjectState
) -> None:
    todo = status_of(project, Category.TODO)
    for entry in ("project:not-a-uuid", "member:only-one-id", "tenant:1"):
        assert await status_name(db.directory, project) == "Todo"
        await db.execute("UPDATE statuses SET name = 'Unannounced' WHERE id = :id", id=todo.id)

        forget(db.directory, entry)

        assert await status_name(db.directory, project) == "Unannounced"
        await db.execute("UPDATE statuses SET name = 'Todo' WHERE id = :id", id=todo.id)
        db.directory.clear()
