"""What the projects service does with the events it consumes.

The aggregator's progress, and tasks created or restored in an archived project (which
restore the project).

Counts and the derived status are applied only when their version is newer than the stored one
(each has its own version, so a derived_status_changed cannot hide the counts of a
progress_changed of the same version), in the consumer's transaction; a duplicate or a stale
event changes nothing. They do not bump the project's version: they are the aggregator's state.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from taskwire.common.events import Envelope
from taskwire.common.events.aggregator import (
    DERIVED_STATUS_CHANGED,
    PROGRESS_CHANGED,
    DerivedStatusChange,
    Progress,
)
from taskwire.common.events.projects import PROJECT_RESTORED
from taskwire.common.events.tasks import TASK_CREATED, TASK_RESTORED
from taskwire.common.outbox import EventUnitOfWork
from taskwire.projects import domain
from taskwire.projects.events import project_event
from taskwire.projects.store import projects as store

log = logging.getLogger(__name__)


async def progress_changed(uow: EventUnitOfWork, envelope: Envelope) -> None:
    """New counts (and the derived status they give) for a project."""
    progress = envelope.data_as(Progress)
    project_id = _project_of(envelope)
    if project_id is None:
        return
    version = progress.counts_version
    await store.apply_counts(uow.connection, project_id, progress.counts, version)
    await store.apply_derived_status(uow.connection, project_id, progress.derived_status, version)


async def derived_status_changed(uow: EventUnitOfWork, envelope: Envelope) -> None:
    """A project's derived status moved (old -> new)."""
    change = envelope.data_as(DerivedStatusChange)
    project_id = _project_of(envelope)
    if project_id is not None:
        await store.apply_derived_status(
            uow.connection, project_id, change.new, change.counts_version
        )


async def task_revives_project(uow: EventUnitOfWork, envelope: Envelope) -> None:
    """A task created or restored in an archived project restores the project.

    Only an archive older than the task's change is undone: a project archived after it stays
    archived, so a late or redelivered task event can never undo a later archive.
    """
    if envelope.project_id is None:
        return
    project = await store.locked_project(uow.connection, envelope.project_id)
    if project is None or project.archived_at is None:
        return
    if project.archived_at >= envelope.occurred_at:
        return
    project, changes = domain.revise(project, {"archived_at": None}, updated_at=datetime.now(UTC))
    await store.save_project(uow.connection, project)
    uow.emit(project_event(PROJECT_RESTORED, project, envelope.actor_id, changes))


HANDLERS: Final = {
    PROGRESS_CHANGED: progress_changed,
    DERIVED_STATUS_CHANGED: derived_status_changed,
    TASK_CREATED: task_revives_project,
    TASK_RESTORED: task_revives_project,
}
BINDINGS: Final = tuple(HANDLERS)


async def handle(uow: EventUnitOfWork, envelope: Envelope) -> None:
    """The subscription's one handler: route each event to what its type does."""
    handler = HANDLERS.get(envelope.type)
    if handler is None:
        log.warning("no handler for %s %s; ignored", envelope.type, envelope.id)
        return
    await handler(uow, envelope)


def _project_of(envelope: Envelope) -> UUID | None:
    project_id = envelope.subject.id if envelope.subject.kind == "project" else envelope.project_id
    if project_id is None:
        log.warning("%s %s names no project; ignored", envelope.type, envelope.id)
    return project_id
