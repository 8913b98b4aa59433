"""Request and response bodies. Unknown fields are refused so a typo answers 422, not silence."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from taskwire.common.events.projects import Category, Counts, Role
from taskwire.projects.domain import KEY_PATTERN, SLUG_MAX, SLUG_PATTERN

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=10_000)]
Slug = Annotated[str, StringConstraints(min_length=2, max_length=SLUG_MAX, pattern=SLUG_PATTERN)]
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Email = Annotated[str, StringConstraints(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
Url = Annotated[str, StringConstraints(max_length=2_000)]
Position = Annotated[int, Field(ge=0, le=10_000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Patch(_Body):
    """A partial update: absent fields stay as they are; null is refused unless listed."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _refuse_nulls(self) -> _Patch:
        for name in self.model_fields_set - self.nullable:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def updates(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class WorkspaceCreate(_Body):
    name: Name
    slug: Slug | None = None


class WorkspaceUpdate(_Patch):
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


class MemberCreate(_Body):
    user_id: UUID
    email: Email
    display_name: Name
    avatar_url: Url | None = None
    role: Role = Role.MEMBER


class MemberUpdate(_Patch):
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


class StatusCreate(_Body):
    name: Name
    category: Category
    position: Position | None = Field(None, description="where to insert it; default: last")


class StatusUpdate(_Patch):
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


class ProjectCreate(_Body):
    key: Key = Field(description="2-10 uppercase letters or digits, starting with a letter")
    name: Name
    description: Description = ""


class ProjectUpdate(_Patch):
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
