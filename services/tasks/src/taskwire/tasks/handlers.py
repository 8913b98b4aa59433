"""What the tasks service does with each event it consumes: the projects service's, kept in its
replica (and, for a status that changes, on its board).

Every event carries its subject's full state; it is applied only when its version is newer than
the replica's (see `replica.rows`), so a duplicate or a stale event changes nothing, tasks
included; a deletion's duplicate only moves the tasks a delivery that died part-way left in the
deleted status (see `status_deletion`). Each handler answers the directory entries it changed;
the replica's consumer (`replica.consumer`) has every process forget them once the change is
committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from taskwire.common.events import Envelope
from taskwire.common.events.projects import (
    MEMBER_ADDED,
    MEMBER_REMOVED,
    MEMBER_UPDATED,
    PROJECT_ARCHIVED,
    PROJECT_CREATED,
    PROJECT_DELETED,
    PROJECT_RESTORED,
    PROJECT_UPDATED,
    STATUS_CREATED,
    STATUS_DELETED,
    STATUS_UPDATED,
    WORKSPACE_CREATED,
    WORKSPACE_UPDATED,
    MemberState,
    ProjectState,
    StatusDeletedState,
    StatusState,
    WorkspaceState,
)
from taskwire.common.outbox import EventUnitOfWork
from taskwire.tasks import status_deletion
from taskwire.tasks.replica import board, rows
from taskwire.tasks.replica.invalidation import announce, member_entry, project_entry

# The directory entries an event changed (see `replica.invalidation`).
Changed = list[str]
Handler = Callable[[EventUnitOfWork, Envelope], Awaitable[Changed]]


async def workspace_saved(uow: EventUnitOfWork, envelope: Envelope) -> Changed:
    # Nothing the directory serves depends on a workspace's name or slug.
    await rows.save_workspace(uow.connection, envelope.data_as(WorkspaceState))
    return []


async def member_saved(uow: EventUnitOfWork, envelope: Envelope) -> Changed:
    member = envelope.data_as(MemberState)
    if not await rows.save_member(uow.connection, member):
        return []
    return [member_entry(member.workspace_id, member.user_id)]


async def project_saved(uow: EventUnitOfWork, envelope: Envelope) -> Changed:
    project = envelope.data_as(ProjectState)
    if not await rows.save_project(uow.connection, project):
        return []
    return [project_entry(project.id)]


async def status_saved(uow: EventUnitOfWork, envelope: Envelope) -> Changed:
    status = envelope.data_as(StatusState)
    if not await rows.save_status(uow.connection, status):
        return []
    # Tasks whose category differs from the status's, not the event's `changes`: a newer
    # rename can arrive before (and hide) the older recategorisation it follows.
    uow.emit(*await board.recategorise_tasks(uow.connection, status, envelope.actor_id))
    return [project_entry(status.project_id)]


async def status_deleted(uow: EventUnitOfWork, envelope: Envelope) -> Changed:
    """The tombstone, then its tasks to `move_to` a chunk per commit (see `status_deletion`). A
    deletion already applied still moves what an earlier delivery, dying part-way, left behind."""
    status = envelope.data_as(StatusDeletedState)
    changed: Changed = []
    if await rows.save_status(uow.connection, status):
        changed = [project_entry(status.project_id)]
        # Announced with the tombstone's commit, not after the last chunk's: every process
        # refuses the status from then on, however long its tasks take to move.
        await announce(uow.connection, changed[0])
    elif not await status_deletion.has_tasks_left(uow.connection, status):
        return []
    await status_deletion.move_tasks_of_deleted(uow, status, envelope.actor_id)
    return changed


HANDLERS: Final[dict[str, Handler]] = {
    WORKSPACE_CREATED: workspace_saved,
    WORKSPACE_UPDATED: workspace_saved,
    MEMBER_ADDED: member_saved,
    MEMBER_UPDATED: member_saved,
    MEMBER_REMOVED: member_saved,
    PROJECT_CREATED: project_saved,
    PROJECT_UPDATED: project_saved,
    PROJECT_ARCHIVED: project_saved,
    PROJECT_RESTORED: project_saved,
    PROJECT_DELETED: project_saved,
    STATUS_CREATED: status_saved,
    STATUS_UPDATED: status_saved,
    STATUS_DELETED: status_deleted,
}
# The exact event types, not `project.*`: the aggregator's frequent project.progress_changed
# and project.derived_status_changed carry nothing this replica keeps, so they are not routed here.
BINDINGS: Final = tuple(HANDLERS)
