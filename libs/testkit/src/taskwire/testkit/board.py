"""A stand-in for the tasks service: task operations and the events they would emit."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from taskwire.aggregator.domain import TaskFacts
from taskwire.common.events import Envelope, Subject, new_event
from taskwire.common.events.projects import Category
from taskwire.common.events.tasks import Priority, TaskState
from taskwire.common.ids import new_id

OPERATIONS = ("create", "move", "archive", "restore", "delete")
CATEGORIES = list(Category)


class Board:
    """Tasks across projects of one workspace; every change gives the next version's event."""

    def __init__(self, projects: int = 1) -> None:
        self.workspace_id = new_id()
        self.projects = [new_id() for _ in range(projects)]
        self.tasks: dict[UUID, TaskState] = {}

    def create(self, project: UUID, category: Category = Category.TODO) -> Envelope:
        task = task_state(
            project,
            self.workspace_id,
            "a task",
            number=len(self.tasks) + 1,
            category=category,
            reporter_id=self.workspace_id,
        )
        self.tasks[task.id] = task
        return event_of("task.created", task)

    def move(self, task_id: UUID, category: Category) -> Envelope:
        return self._change("task.moved", task_id, category=category)

    def archive(self, task_id: UUID) -> Envelope:
        return self._change("task.archived", task_id, archived_at=datetime.now(UTC))

    def restore(self, task_id: UUID) -> Envelope:
        return self._change("task.restored", task_id, archived_at=None)

    def delete(self, task_id: UUID) -> Envelope:
        return self._change("task.deleted", task_id, deleted=True)

    def random_operation(self, rng: random.Random) -> Envelope | None:
        """One operation a user could make now, or None when none applies."""
        live = [t for t in self.tasks.values() if not t.deleted]
        operation = rng.choice(OPERATIONS) if live else "create"
        if operation == "create":
            return self.create(rng.choice(self.projects), rng.choice(CATEGORIES))
        task = rng.choice(live)
        if operation == "move":
            return self.move(task.id, rng.choice(CATEGORIES))
        if operation == "archive":
            return None if task.archived_at else self.archive(task.id)
        if operation == "restore":
            return self.restore(task.id) if task.archived_at else None
        return self.delete(task.id)

    def facts(self) -> list[TaskFacts]:
        """The ground truth: what a recount counts."""
        return [
            TaskFacts(
                t.id, t.project_id, t.category, t.archived_at is not None, t.deleted, t.version
            )
            for t in self.tasks.values()
        ]

    def _change(self, type_: str, task_id: UUID, **changes: object) -> Envelope:
        task = self.tasks[task_id]
        task = task.model_copy(update={**changes, "version": task.version + 1})
        self.tasks[task_id] = task
        return event_of(type_, task)


def task_state(project: UUID, workspace: UUID, title: str, **changes: Any) -> TaskState:
    """A task in the first version the tasks service would give it; `changes` set any field."""
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "id": new_id(),
        "project_id": project,
        "workspace_id": workspace,
        "number": 1,
        "title": title,
        "description": "",
        "status_id": new_id(),
        "category": Category.TODO,
        "position": "1",
        "priority": Priority.NONE,
        "reporter_id": new_id(),
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    return TaskState(**{**fields, **changes})


def task_event(project: UUID, workspace: UUID, title: str = "t", **changes: Any) -> Envelope:
    """`task.created` of a new task, as the tasks service publishes it."""
    return event_of("task.created", task_state(project, workspace, title, **changes))


def event_of(type_: str, task: TaskState) -> Envelope:
    return new_event(
        type_,
        producer="tasks",
        subject=Subject(kind="task", id=task.id, version=task.version),
        data=task,
        workspace_id=task.workspace_id,
        project_id=task.project_id,
    )
