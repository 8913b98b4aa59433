"""The events this service emits: each carries the task's full state after the change."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from taskwire.common.events import Envelope, Subject, new_event

# [old, new] of each changed field: one rule for every service's events, re-exported here.
from taskwire.common.events.changes import changed as changed
from taskwire.common.events.tasks import PRODUCER, TaskState

Changes = dict[str, list[Any]] | None


def task_event(
    type_: str, task: TaskState, actor: UUID | None, changes: Changes = None
) -> Envelope:
    return new_event(
        type_,
        producer=PRODUCER,
        subject=Subject(kind="task", id=task.id, version=task.version),
        data=task,
        workspace_id=task.workspace_id,
        project_id=task.project_id,
        actor_id=actor,
        changes=changes,
    )
