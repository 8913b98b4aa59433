"""Who may read and write a project's tasks, as the directory answers it (memory, when warm).

A project of a workspace the caller is not a live member of is "not found", exactly like one
that does not exist.
"""

from __future__ import annotations

from uuid import UUID

from taskwire.common.auth import Caller
from taskwire.common.problems import NotFound
from taskwire.tasks.domain import require_writer
from taskwire.tasks.replica.directory import Directory, MemberView, ProjectView


async def project_access(
    directory: Directory, project_id: UUID, caller: Caller, *, write: bool, what: str = "project"
) -> tuple[ProjectView, MemberView]:
    """The live project and the caller's live membership of its workspace, or 404 (`what`
    names the thing asked for); 403 when `write` and the caller only reads."""
    project = await directory.project(project_id, caller)
    member = (
        None
        if project is None
        else await directory.member(project.workspace_id, caller.user_id, caller)
    )
    if project is None or member is None:
        raise NotFound(f"no such {what}")
    if write:
        require_writer(member.role, "writing")
    return project, member
