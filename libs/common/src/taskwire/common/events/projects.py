"""Contracts of the projects service's events: workspace.*, member.*, project.*, status.*.

Each carries the subject's full state after the change (event-carried state transfer), so any
consumer can apply it without calling back, and ignore it when its version is not newer.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    """A member's role in a workspace. Roles form a ladder: each may do all that the roles below
    it may (viewer < member < admin < owner)."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"

    def at_least(self, minimum: Role) -> bool:
        """Whether this role may do what `minimum` may."""
        return ROLE_RANK[self] >= ROLE_RANK[minimum]

    def and_above(self) -> frozenset[Role]:
        """Every role that may do what this one may, this one included."""
        return frozenset(role for role in Role if role.at_least(self))


ROLE_RANK: Final = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Category(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    IN_REVIEW = "in_review"
    ISSUE = "issue"
    DONE = "done"


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class WorkspaceState(_State):
    id: UUID
    name: str
    slug: str
    version: int
    created_at: datetime
    updated_at: datetime


class MemberState(_State):
    workspace_id: UUID
    user_id: UUID
    email: str
    display_name: str
    avatar_url: str | None = None
    role: Role
    removed: bool = False
    version: int
    created_at: datetime
    updated_at: datetime


class StatusState(_State):
    id: UUID
    project_id: UUID
    workspace_id: UUID
    name: str
    category: Category
    position: int
    deleted: bool = False
    version: int


class StatusDeletedState(StatusState):
    move_to: UUID = Field(description="the status of the same project that takes its tasks")


class Counts(_State):
    total: int = 0
    todo: int = 0
    in_progress: int = 0
    in_review: int = 0
    issue: int = 0
    done: int = 0
    archived: int = 0


class ProjectState(_State):
    id: UUID
    workspace_id: UUID
    key: str
    name: str
    description: str
    archived_at: datetime | None = None
    deleted: bool = False
    derived_status: Category
    counts: Counts
    version: int
    created_at: datetime
    updated_at: datetime
    statuses: list[StatusState] | None = Field(
        None, description="the project's statuses in board order; present on project.created"
    )


WORKSPACE_CREATED: Final = "workspace.created"
WORKSPACE_UPDATED: Final = "workspace.updated"
MEMBER_ADDED: Final = "member.added"
MEMBER_UPDATED: Final = "member.updated"
MEMBER_REMOVED: Final = "member.removed"
PROJECT_CREATED: Final = "project.created"
PROJECT_UPDATED: Final = "project.updated"
PROJECT_ARCHIVED: Final = "project.archived"
PROJECT_RESTORED: Final = "project.restored"
PROJECT_DELETED: Final = "project.deleted"
STATUS_CREATED: Final = "status.created"
STATUS_UPDATED: Final = "status.updated"
STATUS_DELETED: Final = "status.deleted"

PRODUCER: Final = "projects"

CATALOGUE: Final[dict[str, type[BaseModel]]] = {
    WORKSPACE_CREATED: WorkspaceState,
    WORKSPACE_UPDATED: WorkspaceState,
    MEMBER_ADDED: MemberState,
    MEMBER_UPDATED: MemberState,
    MEMBER_REMOVED: MemberState,
    PROJECT_CREATED: ProjectState,
    PROJECT_UPDATED: ProjectState,
    PROJECT_ARCHIVED: ProjectState,
    PROJECT_RESTORED: ProjectState,
    PROJECT_DELETED: ProjectState,
    STATUS_CREATED: StatusState,
    STATUS_UPDATED: StatusState,
    STATUS_DELETED: StatusDeletedState,
}
