"""The events this service emits: each carries its subject's full state after the change."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel

from taskwire.common.events import Envelope, Subject, new_event
from taskwire.common.events.changes import Changes
from taskwire.common.events.projects import (
    PRODUCER,
    MemberState,
    ProjectState,
    StatusState,
    WorkspaceState,
)


def _event(
    type_: str,
    kind: str,
    subject_id: UUID,
    state: BaseModel,
    version: int,
    actor: UUID | None,
    changes: Changes | None,
    workspace_id: UUID,
    project_id: UUID | None = None,
) -> Envelope:
    return new_event(
        type_,
        producer=PRODUCER,
        subject=Subject(kind=kind, id=subject_id, version=version),
        data=state,
        workspace_id=workspace_id,
        project_id=project_id,
        actor_id=actor,
        changes=changes,
    )


def workspace_event(
    type_: str, workspace: WorkspaceState, actor: UUID, changes: Changes | None = None
) -> Envelope:
    w = workspace
    return _event(type_, "workspace", w.id, w, w.version, actor, changes, w.id)


def member_event(
    type_: str, member: MemberState, actor: UUID, changes: Changes | None = None
) -> Envelope:
    """A member's subject id is its user id; the envelope's workspace_id completes the key."""
    m = member
    return _event(type_, "member", m.user_id, m, m.version, actor, changes, m.workspace_id)


def project_event(
    type_: str, project: ProjectState, actor: UUID | None, changes: Changes | None = None
) -> Envelope:
    p = project
    return _event(type_, "project", p.id, p, p.version, actor, changes, p.workspace_id, p.id)


def status_event(
    type_: str, status: StatusState, actor: UUID, changes: Changes | None = None
) -> Envelope:
    s = status
    return _event(type_, "status", s.id, s, s.version, actor, changes, s.workspace_id, s.project_id)
