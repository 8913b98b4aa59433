"""The projects service's events as it publishes them, and a replica to apply them to.

Events are built with the projects service's own constructors, so these tests hold the tasks
service to the contract that is actually produced.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from taskwire.common.events import Envelope, decode
from taskwire.common.events.projects import (
    Category,
    Counts,
    MemberState,
    ProjectState,
    Role,
    StatusDeletedState,
    StatusState,
    WorkspaceState,
)
from taskwire.common.ids import new_id
from taskwire.common.outbox import EventUnitOfWork, Outbox
from taskwire.projects.domain import DEFAULT_STATUSES, default_statuses
from taskwire.tasks import tables
from taskwire.tasks.replica.consumer import Replica
from taskwire.tasks.replica.directory import Directory
from taskwire.testkit.users import User

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
# Who changed the projects service's data, when a test does not care.
ACTOR = new_id()


def workspace_state(version: int = 1, name: str = "Acme") -> WorkspaceState:
    workspace_id = new_id()
    slug = f"acme-{workspace_id.hex[-8:]}"
    return WorkspaceState(
        id=workspace_id, name=name, slug=slug, version=version, created_at=NOW, updated_at=NOW
    )


def member_state(
    workspace_id: UUID, user: User, role: Role = Role.MEMBER, version: int = 1, **more: Any
) -> MemberState:
    return MemberState(
        workspace_id=workspace_id,
        user_id=user.id,
        email=user.email,
        display_name=user.name,
        role=role,
        version=version,
        created_at=NOW,
        updated_at=NOW,
        **more,
    )


def project_state(workspace_id: UUID, key: str = "WEB", version: int = 1) -> ProjectState:
    """A new project with its default board, as project.created carries it."""
    project_id = new_id()
    ids = [new_id() for _ in DEFAULT_STATUSES]
    board = default_statuses(project_id, workspace_id, ids)
    return ProjectState(
        id=project_id,
        workspace_id=workspace_id,
        key=key,
        name=f"Project {key}",
        description="",
        derived_status=Category.TODO,
        counts=Counts(),
        version=version,
        created_at=NOW,
        updated_at=NOW,
        statuses=board,
    )


def status_of(project: ProjectState, category: Category) -> StatusState:
    return next(s for s in project.statuses or () if s.category is category)


def deleted(status: StatusState, move_to: UUID) -> StatusDeletedState:
    return StatusDeletedState(
        **status.model_dump(exclude={"deleted", "version"}),
        deleted=True,
        version=status.version + 1,
        move_to=move_to,
    )


@dataclass
class ReplicaDb:
    """A test's tasks database, its directory, and the replica handler applying events to it."""

    engine: AsyncEngine
    directory: Directory
    replica: Replica
    outbox: Outbox

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, database_url: str) -> AsyncIterator[ReplicaDb]:
        engine = create_async_engine(database_url)
        directory = Directory(engine, None, ttl_seconds=60, max_entries=100)
        try:
            yield cls(engine, directory, Replica(directory), Outbox(tables.outbox))
        finally:
            await engine.dispose()

    async def apply(self, *events: Envelope) -> None:
        """Each event in its own transaction, as the consumer runs it."""
        for event in events:
            async with EventUnitOfWork(self.engine, self.outbox) as uow:
                await self.replica.handle(uow, event)
                await uow.commit()

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(text(sql), params)).mappings()]

    async def row(self, sql: str, **params: Any) -> dict[str, Any]:
        (found,) = await self.rows(sql, **params)
        return found

    async def execute(self, sql: str, **params: Any) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(text(sql), params)

    async def events(self) -> list[Envelope]:
        """What this service emitted, in outbox order."""
        found = await self.rows("SELECT payload FROM outbox ORDER BY seq")
        return [decode(r["payload"]) for r in found]

    async def add_task(
        self, project: ProjectState, status: StatusState, position: str, **more: Any
    ) -> UUID:
        """A task row as the API would have written it (number and mark included)."""
        task_id = new_id()
        values = {
            "id": task_id,
            "project_id": project.id,
            "workspace_id": project.workspace_id,
            "status_id": status.id,
            "category": status.category.value,
            "position": Decimal(position),
            "title": f"task at {position}",
            "reporter_id": new_id(),
            "now": NOW,
            "deleted": False,
            "version": 1,
        } | more
        await self.execute(
            """
            WITH seq AS (
                UPDATE projects SET last_number = last_number + 1,
                    last_position = GREATEST(last_position, ceil(:position)::bigint)
                WHERE id = :project_id RETURNING last_number
            )
            INSERT INTO tasks (id, project_id, workspace_id, number, title, status_id, category,
                               position, priority, reporter_id, deleted, version, created_at,
                               updated_at)
            SELECT :id, :project_id, :workspace_id, last_number, :title, :status_id, :category,
                   :position, 'none', :reporter_id, :deleted, :version, :now, :now
            FROM seq
            """,
            **values,
        )
        return task_id
