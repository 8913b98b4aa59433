"""What the projects service does with the events it consumes, a batch at a time.

The aggregator's progress, and tasks created or restored in an archived project (which
restore the project). Each event is parsed to what it changes (`parse`); a batch is applied in
one transaction (`apply`).

Counts and the derived status are applied only when their version is newer than the stored one
(each has its own version, so a derived_status_changed cannot hide the counts of a
progress_changed of the same version); a duplicate or a stale event changes nothing, so of a
batch only the newest of each project is written, all projects in one statement. They do not
bump the project's version: they are the aggregator's state.

A task event restores its project only if the project was archived before the task's change;
the batch asks once for the projects where that holds, which is almost never any.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from taskwire.common.events import EventDecodeError, decode
from taskwire.common.events.aggregator import (
    DERIVED_STATUS_CHANGED,
    PROGRESS_CHANGED,
    DerivedStatusChange,
    Progress,
)
from taskwire.common.events.envelope import SCHEMA_VERSION
from taskwire.common.events.projects import PROJECT_RESTORED
from taskwire.common.events.tasks import TASK_CREATED, TASK_RESTORED
from taskwire.common.outbox import EventUnitOfWork
from taskwire.projects import domain
from taskwire.projects.domain import Progressed, TaskTouched
from taskwire.projects.events import project_event
from taskwire.projects.store import projects as store

log = logging.getLogger(__name__)

BINDINGS: Final = (PROGRESS_CHANGED, DERIVED_STATUS_CHANGED, TASK_CREATED, TASK_RESTORED)
TASK_EVENTS: Final = frozenset({TASK_CREATED, TASK_RESTORED})

# What an event changes here; None for one this service ignores (logged).
Consumed = Progressed | TaskTouched | None


class _Subject(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: str
    id: UUID


class _Head(BaseModel):
    """The part of an envelope every event is read for; a task's state (`data`) is skipped,
    never built."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    id: UUID
    type: str
    schema_version: int = Field(SCHEMA_VERSION, alias="schema")
    occurred_at: datetime
    project_id: UUID | None = None
    actor_id: UUID | None = None
    subject: _Subject


class _ProgressData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    data: Progress


class _DerivedStatusData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    data: DerivedStatusChange


def parse(body: bytes) -> Consumed:
    """What an event changes, or EventDecodeError (it is then dead-lettered with why)."""
    try:
        head = _Head.model_validate_json(body)
    except ValidationError:
        decode(body)  # raises EventDecodeError saying why it is no envelope
        raise EventDecodeError("not a valid event envelope") from None
    if head.schema_version > SCHEMA_VERSION:
        raise EventDecodeError(f"unsupported schema {head.schema_version} for {head.type}")
    if head.type in TASK_EVENTS:
        if head.project_id is None:
            _ignore(head, "names no project")
            return None
        return TaskTouched(head.project_id, head.occurred_at, head.actor_id)
    if head.type not in (PROGRESS_CHANGED, DERIVED_STATUS_CHANGED):
        _ignore(head, "has no handler")
        return None
    project_id = head.subject.id if head.subject.kind == "project" else head.project_id
    if project_id is None:
        _ignore(head, "names no project")
        return None
    return _progressed(head.type, project_id, body)


def _progressed(type_: str, project_id: UUID, body: bytes) -> Progressed:
    """An aggregator event's word on the project; its data only is read again."""
    try:
        if type_ == PROGRESS_CHANGED:
            p = _ProgressData.model_validate_json(body).data
            return Progressed(project_id, p.counts_version, p.derived_status, p.counts)
        change = _DerivedStatusData.model_validate_json(body).data
        return Progressed(project_id, change.counts_version, change.new)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise EventDecodeError(f"{type_} data is not readable: {where}: {error['msg']}") from None


def _ignore(head: _Head, why: str) -> None:
    log.warning("%s %s %s; ignored", head.type, head.id, why)


async def apply(uow: EventUnitOfWork, batch: list[Consumed]) -> None:
    """The batch consumer's handler: a batch's events, in one transaction."""
    newest = domain.newest_progress(e for e in batch if isinstance(e, Progressed))
    await store.apply_progress(uow.connection, newest.counts, newest.derived)
    await _revive_projects(uow, [e for e in batch if isinstance(e, TaskTouched)])


async def _revive_projects(uow: EventUnitOfWork, touches: list[TaskTouched]) -> None:
    """Restore each project archived before a task change of the batch, once, in the name of
    the first such change."""
    if not touches:
        return
    by_project: defaultdict[UUID, list[TaskTouched]] = defaultdict(list)
    for touch in touches:
        by_project[touch.project_id].append(touch)
    latest = {project: max(t.occurred_at for t in ts) for project, ts in by_project.items()}
    for project in await store.lock_archived_before(uow.connection, latest):
        reviver = domain.revived_by(project, by_project[project.id])
        if reviver is None:  # never: the statement re-checks the archive once it holds the lock
            continue
        project, changes = domain.revise(
            project, {"archived_at": None}, updated_at=datetime.now(UTC)
        )
        await store.save_project(uow.connection, project)
        uow.emit(project_event(PROJECT_RESTORED, project, reviver.actor_id, changes))
