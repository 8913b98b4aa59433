"""Request and response bodies. Unknown fields are refused so a typo answers 422, not silence."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from taskwire.common.bodies import Body, Patch
from taskwire.common.events.projects import Category, Counts, Role
from taskwire.common.urls import WebUrl
from taskwire.projects.domain import KEY_PATTERN, SLUG_MAX, SLUG_PATTERN

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=10_000)]
Slug = Annotated[str, StringConstraints(min_length=2, max_length=SLUG_MAX, pattern=SLUG_PATTERN)]
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Email = Annotated[str, StringConstraints(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
Position = Annotated[int, Field(ge=0, le=10_000)]


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class WorkspaceCreate(Body):
    name: Name
    slug: Slug | None = None


class WorkspaceUpdate(Patch):
    name: Name | None = None
    slug: Slug | None = None


class WorkspacePublic(_Public):
    id: UUID
    name: str
    slug: str
    role: Role = Field(description="the caller's role in this workspace")
    version: int
    created_at: datetime
    updated_at: datetime


class WorkspacesPublic(BaseModel):
    items: list[WorkspacePublic]
    next_cursor: str | None


class MemberCreate(Body):
    user_id: UUID
    email: Email
    display_name: Name
    avatar_url: WebUrl | None = None
    role: Role = Role.MEMBER


class MemberUpdate(Patch):
    role: Role | None = None


class MemberPublic(_Public):
    workspace_id: UUID
    user_id: UUID
    email: str
    display_name: str
    avatar_url: str | None
    role: Role
    version: int
    created_at: datetime
    updated_at: datetime


class MembersPublic(BaseModel):
    items: list[MemberPublic]
    next_cursor: str | None


class StatusCreate(Body):
    name: Name
    category: Category
    position: Position | None = Field(None, description="where to insert it; default: last")


class StatusUpdate(Patch):
    name: Name | None = None
    category: Category | None = None
    position: Position | None = None


class StatusPublic(_Public):
    id: UUID
    project_id: UUID
    name: str
    category: Category
    position: int
    version: int


class StatusesPublic(BaseModel):
    items: list[StatusPublic]


class ProjectCreate(Body):
    key: Key = Field(description="2-10 uppercase letters or digits, starting with a letter")
    name: Name
    description: Description = ""


class ProjectUpdate(Patch):
    nullable = frozenset({"description"})

    key: Key | None = None
    name: Name | None = None
    description: Description | None = None

    def updates(self) -> dict[str, Any]:
        fields = super().updates()
        if "description" in fields and fields["description"] is None:
            fields["description"] = ""
        return fields


class ProjectPublic(_Public):
    id: UUID
    workspace_id: UUID
    key: str
    name: str
    description: str
    archived_at: datetime | None
    derived_status: Category
    counts: Counts
    version: int
    created_at: datetime
    updated_at: datetime


class ProjectDetail(ProjectPublic):
    statuses: list[StatusPublic] = Field(description="the project's statuses in board order")


class ProjectsPublic(BaseModel):
    items: list[ProjectPublic]
    next_cursor: str | None


class DevTokenCreate(Body):
    email: Email
    display_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]


class DevToken(BaseModel):
    token: str = Field(description="a bearer token every service accepts (development only)")
    user_id: UUID = Field(description="the same for every token of the same email, any case")
    expires_at: datetime
