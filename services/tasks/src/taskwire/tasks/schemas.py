"""Request and response bodies. Unknown fields are refused so a typo answers 422, not silence."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints, model_validator

from taskwire.common.bodies import Body, Patch
from taskwire.common.events.projects import Category
from taskwire.common.events.tasks import Priority
from taskwire.tasks.domain import DESCRIPTION_MAX, TITLE_MAX

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX)]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)]


class _Placement(Body):
    """Where in its column a task goes: after one task and/or before another of that column."""

    after: UUID | None = Field(None, description="the task that will be just above this one")
    before: UUID | None = Field(None, description="the task that will be just below this one")

    @model_validator(mode="after")
    def _distinct_neighbours(self) -> _Placement:
        if self.after is not None and self.after == self.before:
            raise ValueError("after and before must be two different tasks")
        return self


class TaskCreate(_Placement):
    title: Title
    description: Description = ""
    status_id: UUID | None = Field(None, description="default: the project's first todo status")
    priority: Priority = Priority.NONE
    assignee_id: UUID | None = None
    due_date: date | None = None


class TasksCreate(Body):
    """An import: every task in one transaction, each with its own task.created event."""

    tasks: list[TaskCreate] = Field(min_length=1, description="at most bulk_max_tasks (500)")


class TaskUpdate(Patch):
    """A partial update: absent fields stay as they are; null clears the nullable ones."""

    nullable = frozenset({"assignee_id", "due_date"})

    title: Title | None = None
    description: Description | None = None
    priority: Priority | None = None
    assignee_id: UUID | None = None
    due_date: date | None = None

    @model_validator(mode="after")
    def _something(self) -> TaskUpdate:
        if not self.model_fields_set:
            raise ValueError("name at least one field to change")
        return self


class TaskMove(_Placement):
    status_id: UUID | None = Field(None, description="default: the task's current status")


class Profile(BaseModel):
    id: UUID
    email: str
    display_name: str
    avatar_url: str | None


class TaskPublic(BaseModel):
    id: UUID
    project_id: UUID
    workspace_id: UUID
    key: str = Field(description="<project key>-<number>, e.g. WEB-42")
    number: int
    title: str
    description: str
    status_id: UUID
    category: Category
    position: str = Field(description="rank within the status, a decimal string")
    priority: Priority
    assignee: Profile | None
    reporter: Profile | None = Field(description="null only if the reporter's profile is unknown")
    due_date: date | None
    archived_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class TasksPublic(BaseModel):
    items: list[TaskPublic]
    next_cursor: str | None


class TasksCreated(BaseModel):
    items: list[TaskPublic]
