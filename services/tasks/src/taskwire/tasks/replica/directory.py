"""What a request needs to know before it writes: the project, its statuses, the caller's role.

Served from memory on the hot path. Entries come from the replica tables (and, when those lack
them, from the projects service through `ReadThrough`), and are forgotten as soon as an event
changes them: in this process right after the consumer commits, in every other process when the
consumer's NOTIFY arrives (see `invalidation.py`). A time-to-live bounds how long a missed
invalidation could matter. Writes re-check membership and status inside their own statement,
so the cache decides how fast a request is refused, never whether a forbidden write lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from cachetools import TTLCache
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.common.auth import Caller
from taskwire.common.events.projects import Category, Role


@dataclass(frozen=True, slots=True)
class StatusView:
    id: UUID
    name: str
    category: Category
    position: int


@dataclass(frozen=True, slots=True)
class ProjectView:
    id: UUID
    workspace_id: UUID
    key: str
    archived: bool
    statuses: tuple[StatusView, ...]  # live ones, in board order

    def status(self, status_id: UUID) -> StatusView | None:
        return next((s for s in self.statuses if s.id == status_id), None)

    def default_status(self) -> StatusView | None:
        """Where a task goes when none is named: the first `todo` column, else the first."""
        todo = (s for s in self.statuses if s.category is Category.TODO)
        return next(todo, self.statuses[0] if self.statuses else None)


@dataclass(frozen=True, slots=True)
class MemberView:
    workspace_id: UUID
    user_id: UUID
    role: Role
    email: str
    display_name: str
    avatar_url: str | None


class ReadThrough(Protocol):
    """Asks the projects service, as the caller, and stores what it answers in the replica."""

    async def project(self, project_id: UUID, caller: Caller) -> bool:
        """Whether the project was found (and is now in the replica)."""

    async def member(self, workspace_id: UUID, user_id: UUID, caller: Caller) -> bool:
        """Whether the live membership was found (and is now in the replica)."""


_PROJECT = text(
    """
    SELECT p.id, p.workspace_id, p.key, p.archived_at IS NOT NULL AS archived, p.deleted,
           s.id AS status_id, s.name, s.category, s.position
    FROM projects p
    LEFT JOIN statuses s ON s.project_id = p.id AND s.deleted IS false
    WHERE p.id = :id
    ORDER BY s.position, s.id
    """
)
_MEMBER = text(
    """
    SELECT workspace_id, user_id, role, email, display_name, avatar_url, removed
    FROM members WHERE workspace_id = :workspace_id AND user_id = :user_id
    """
)


class Directory:
    def __init__(
        self,
        engine: AsyncEngine,
        read_through: ReadThrough | None,
        *,
        ttl_seconds: float,
        max_entries: int,
    ) -> None:
        self._engine = engine
        self._read_through = read_through
        self._projects: TTLCache[UUID, ProjectView | None] = TTLCache(max_entries, ttl_seconds)
        self._members: TTLCache[tuple[UUID, UUID], MemberView | None] = TTLCache(
            max_entries, ttl_seconds
        )
        # Bumped by every invalidation: a load that started before one must not store what it
        # read, which may be what the invalidation replaced.
        self._epoch = 0

    async def project(self, project_id: UUID, caller: Caller | None = None) -> ProjectView | None:
        if project_id in self._projects:
            return self._projects[project_id]
        epoch = self._epoch
        found, known = await self._load_project(project_id)
        # Only a row the replica lacks may be it lagging; a tombstone is an event's answer.
        if not known and caller is not None and self._read_through is not None:
            asked = await self._read_through.project(project_id, caller)
            found = (await self._load_project(project_id))[0] if asked else None
        if epoch == self._epoch:
            self._projects[project_id] = found
        return found

    async def member(
        self, workspace_id: UUID, user_id: UUID, caller: Caller | None = None
    ) -> MemberView | None:
        """The live membership of `user_id` in the workspace, or None."""
        key = (workspace_id, user_id)
        if key in self._members:
            return self._members[key]
        epoch = self._epoch
        found, known = await self._load_member(workspace_id, user_id)
        if not known and caller is not None and self._read_through is not None:
            asked = await self._read_through.member(workspace_id, user_id, caller)
            found = (await self._load_member(workspace_id, user_id))[0] if asked else None
        if epoch == self._epoch:
            self._members[key] = found
        return found

    def forget_project(self, project_id: UUID) -> None:
        self._epoch += 1
        self._projects.pop(project_id, None)

    def forget_member(self, workspace_id: UUID, user_id: UUID) -> None:
        self._epoch += 1
        self._members.pop((workspace_id, user_id), None)

    def clear(self) -> None:
        """Forget everything: after a lost invalidation feed nothing cached can be trusted."""
        self._epoch += 1
        self._projects.clear()
        self._members.clear()

    async def _load_project(self, project_id: UUID) -> tuple[ProjectView | None, bool]:
        """The live project, and whether the replica holds it at all (deleted included)."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_PROJECT, {"id": project_id})).all()
        if not rows or rows[0].deleted:
            return None, bool(rows)
        first = rows[0]
        statuses = tuple(
            StatusView(r.status_id, r.name, Category(r.category), r.position)
            for r in rows
            if r.status_id is not None
        )
        view = ProjectView(first.id, first.workspace_id, first.key, first.archived, statuses)
        return view, True

    async def _load_member(
        self, workspace_id: UUID, user_id: UUID
    ) -> tuple[MemberView | None, bool]:
        """The live membership, and whether the replica holds it at all (removed included)."""
        params = {"workspace_id": workspace_id, "user_id": user_id}
        async with self._engine.connect() as conn:
            row = (await conn.execute(_MEMBER, params)).first()
        if row is None or row.removed:
            return None, row is not None
        view = MemberView(
            row.workspace_id,
            row.user_id,
            Role(row.role),
            row.email,
            row.display_name,
            row.avatar_url,
        )
        return view, True
