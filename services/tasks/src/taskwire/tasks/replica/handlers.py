"""What this service does with each projects-service event it consumes: keep its replica.

Every event carries its subject's full state; it is applied only when its version is newer than
the replica's (see `rows`), so a duplicate or a stale event changes nothing, tasks included.
A change the directory serves is announced to every process, and forgotten in this one right
after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

from taskwire.common.events import Envelope
from taskwire.common.events.projects import (
    CATALOGUE,
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
from taskwire.tasks.replica import board, rows
from taskwire.tasks.replica.directory import Directory
from taskwire.tasks.replica.invalidation import announce, forget, member_entry, project_entry

log = logging.getLogger(__name__)

# The exact event types, not `project.*`: the aggregator's frequent project.progress_changed
# and project.derived_status_changed carry nothing this replica keeps, so they are not routed here.
BINDINGS: Final = tuple(CATALOGUE)

Apply = Callable[[EventUnitOfWork, Envelope], Awaitable[None]]


class Replica:
    """The consumer's handler; `directory` is this process's cache of what it writes."""

    def __init__(self, directory: Directory | None = None) -> None:
        self.directory = directory
        self._handlers: dict[str, Apply] = {
            WORKSPACE_CREATED: self.workspace,
            WORKSPACE_UPDATED: self.workspace,
            MEMBER_ADDED: self.member,
            MEMBER_UPDATED: self.member,
            MEMBER_REMOVED: self.member,
            PROJECT_CREATED: self.project,
            PROJECT_UPDATED: self.project,
            PROJECT_ARCHIVED: self.project,
            PROJECT_RESTORED: self.project,
            PROJECT_DELETED: self.project,
            STATUS_CREATED: self.status,
            STATUS_UPDATED: self.status,
            STATUS_DELETED: self.status_deleted,
        }

    async def handle(self, uow: EventUnitOfWork, envelope: Envelope) -> None:
        apply = self._handlers.get(envelope.type)
        if apply is None:
            log.debug("%s %s keeps nothing in the replica; ignored", envelope.type, envelope.id)
            return
        await apply(uow, envelope)

    async def workspace(self, uow: EventUnitOfWork, envelope: Envelope) -> None:
        # Nothing the directory serves depends on a workspace's name or slug.
        await rows.save_workspace(uow.connection, envelope.data_as(WorkspaceState))

    async def member(self, uow: EventUnitOfWork, envelope: Envelope) -> None:
        member = envelope.data_as(MemberState)
        if await rows.save_member(uow.connection, member):
            await self._changed(uow, member_entry(member.workspace_id, member.user_id))

    async def project(self, uow: EventUnitOfWork, envelope: Envelope) -> None:
        project = envelope.data_as(ProjectState)
        if await rows.save_project(uow.connection, project):
            await self._changed(uow, project_entry(project.id))

    async def status(self, uow: EventUnitOfWork, envelope: Envelope) -> None:
        status = envelope.data_as(StatusState)
        if await rows.save_status(uow.connection, status):
            # Tasks whose category differs from the status's, not the event's `changes`: a newer
            # rename can arrive before (and hide) the older recategorisation it follows.
            uow.emit(*await board.recategorise_tasks(uow.connection, status, envelope.actor_id))
            await self._changed(uow, project_entry(status.project_id))

    async def status_deleted(self, uow: EventUnitOfWork, envelope: Envelope) -> None:
        status = envelope.data_as(StatusDeletedState)
        if await rows.save_status(uow.connection, status):
            uow.emit(*await board.move_tasks_of_deleted(uow.connection, status, envelope.actor_id))
            await self._changed(uow, project_entry(status.project_id))

    async def _changed(self, uow: EventUnitOfWork, entry: str) -> None:
        await announce(uow.connection, entry)
        directory = self.directory
        if directory is not None:
            # Not waiting for our own notification: this process's next request must already
            # see the change (a removed member's next write is refused at once).
            uow.after_commit(lambda: forget(directory, entry))
