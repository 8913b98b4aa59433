"""Contracts of the tasks service's events: task.created|updated|moved|archived|restored|deleted.

Every one carries the task's full state after the change and its version (event-carried state
transfer): the aggregator counts from `category`, `archived_at` and `deleted` alone, and the
notifier forwards the state as it is. `changes` names the fields that changed, as [old, new].
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from taskwire.common.events.projects import Category


class Priority(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


class TaskState(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: UUID
    project_id: UUID
    workspace_id: UUID
    number: int = Field(ge=1, description="per-project sequence; shown as <project key>-<number>")
    title: str
    description: str
    status_id: UUID
    category: Category = Field(description="the status's category when the change was made")
    position: str = Field(
        description="fractional rank within the status, a decimal string: compare numerically"
    )
    priority: Priority
    assignee_id: UUID | None = None
    reporter_id: UUID
    due_date: date | None = None
    archived_at: datetime | None = None
    deleted: bool = False
    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime


TASK_CREATED: Final = "task.created"
TASK_UPDATED: Final = "task.updated"
TASK_MOVED: Final = "task.moved"
TASK_ARCHIVED: Final = "task.archived"
TASK_RESTORED: Final = "task.restored"
TASK_DELETED: Final = "task.deleted"

PRODUCER: Final = "tasks"

CATALOGUE: Final[dict[str, type[BaseModel]]] = {
    TASK_CREATED: TaskState,
    TASK_UPDATED: TaskState,
    TASK_MOVED: TaskState,
    TASK_ARCHIVED: TaskState,
    TASK_RESTORED: TaskState,
    TASK_DELETED: TaskState,
}
