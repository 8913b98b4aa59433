"""The events this service emits: each carries its subject's full state after the change."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from taskwire.common.events import Envelope, Subject, new_event
from taskwire.common.events.projects import (
    PRODUCER,
    MemberState,
    ProjectState,
    StatusState,
    WorkspaceState,
)

Changes = dict[str, list[Any]] | None


def workspace_event(
    type_: str, workspace: WorkspaceState, actor: UUID, changes: Changes = None
) -> Envelope:
    return new_event(
        type_,
        producer=PRODUCER,
        subject=Subject(kind="workspace", id=workspace.id, version=workspace.version),
        data=workspace,
        workspace_id=workspace.id,
        actor_id=actor,
        changes=changes,
    )


def member_event(type_: str, member: MemberState, actor: UUID, changes: Changes = None) -> Envelope:
    """A member's subject id is its user id; the envelope's workspace_id completes the key."""
    return new_event(
        type_,
        producer=PRODUCER,
        subject=Subject(kind="member", id=member.user_id, version=member.version),
        data=member,
        workspace_id=member.workspace_id,
        actor_id=actor,
        changes=changes,
    )


def project_event(
    type_: str, project: ProjectState, actor: UUID, changes: Changes = None
) -> Envelope:
    return new_event(
        type_,
        producer=PRODUCER,
        subject=Subject(kind="project", id=project.id, version=project.version),
        data=project,
        workspace_id=project.workspace_id,
        project_id=project.id,
        actor_id=actor,
        changes=changes,
    )


def status_event(type_: str, status: StatusState, actor: UUID, changes: Changes = None) -> Envelope:
    return new_event(
        type_,
        producer=PRODUCER,
        subject=Subject(kind="status", id=status.id, version=status.version),
        data=status,
        workspace_id=status.workspace_id,
        project_id=status.project_id,
        actor_id=actor,
        changes=changes,
    )
