"""The events this service emits: each carries the task's full state after the change."""

from __future__ import annotations

from uuid import UUID

from taskwire.common.events import Envelope, Subject, new_event
from taskwire.common.events.changes import Changes
from taskwire.common.events.tasks import PRODUCER, TaskState


def task_event(
    type_: str,
    task: TaskState,
    actor: UUID | None,
    changes: Changes | None = None,
    mutation_id: str | None = None,
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
        client_mutation_id=mutation_id,
    )
