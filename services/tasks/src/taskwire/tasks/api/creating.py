"""What a create decides before it writes: who may, into which column, for whom, and the state.

All of it from the directory (memory, when warm). The write re-checks it inside its statement;
when that check refuses, `Board.forget` drops what the directory held so the next decision reads
the replica afresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from taskwire.common.auth import Caller
from taskwire.common.errors import Conflict, Unprocessable
from taskwire.common.events.tasks import TaskState
from taskwire.common.ids import new_id
from taskwire.tasks.answers import task_public
from taskwire.tasks.api.deps import project_access
from taskwire.tasks.domain import format_rank
from taskwire.tasks.replica.directory import Directory, MemberView, ProjectView, StatusView
from taskwire.tasks.schemas import TaskCreate, TaskPublic, TasksCreate


@dataclass(frozen=True, slots=True)
class Board:
    """A project as a writer sees it: the caller's membership and the assignees' ones."""

    directory: Directory
    project: ProjectView
    caller: MemberView
    assignees: dict[UUID, MemberView]

    @classmethod
    async def of(
        cls, directory: Directory, project_id: UUID, caller: Caller, items: Sequence[TaskCreate]
    ) -> Board:
        """404 for a project the caller cannot see, 403 for a viewer, 422 for an assignee who is
        not a live member of the project's workspace."""
        project, member = await project_access(directory, project_id, caller, write=True)
        assignees: dict[UUID, MemberView] = {}
        for item in items:
            user_id = item.assignee_id
            if user_id is None or user_id in assignees:
                continue
            assignee = await directory.member(project.workspace_id, user_id, caller)
            if assignee is None:
                raise Unprocessable(
                    "assignee_id must be a member of the project's workspace", assignee_id=user_id
                )
            assignees[user_id] = assignee
        return cls(directory, project, member, assignees)

    def answer(self, task: TaskState, project_key: str | None = None) -> TaskPublic:
        """The answer for `task`; `project_key` as the write read it, if it did."""
        assignee = None if task.assignee_id is None else self.assignees[task.assignee_id]
        key = project_key or self.project.key
        return task_public(task, key, assignee=assignee, reporter=self.caller)

    def forget(self) -> None:
        workspace_id = self.project.workspace_id
        self.directory.forget_project(self.project.id)
        for user_id in (self.caller.user_id, *self.assignees):
            self.directory.forget_member(workspace_id, user_id)


def target_status(project: ProjectView, status_id: UUID | None, where: str = "") -> StatusView:
    """The named live status of the project, or its default one."""
    status = project.default_status() if status_id is None else project.status(status_id)
    if status is None:
        what = f"{where}.status_id" if where else "status_id"
        raise Unprocessable(f"{what} must be a live status of this project", status_id=status_id)
    return status


def check_bulk(body: TasksCreate, most: int) -> None:
    if len(body.tasks) > most:
        raise Unprocessable(f"at most {most} tasks per request; split the import", limit=most)
    if any(item.after is not None or item.before is not None for item in body.tasks):
        raise Unprocessable(
            "a bulk create puts each task at the end of its column: drop after/before"
        )


def draft(
    project: ProjectView,
    status: StatusView,
    body: TaskCreate,
    reporter: UUID,
    number: int = 1,
    position: Decimal = Decimal(0),
) -> TaskState:
    """A new task's state; a create's number (and rank at the end) are given by its statement."""
    now = datetime.now(UTC)
    return TaskState(
        id=new_id(),
        project_id=project.id,
        workspace_id=project.workspace_id,
        number=number,
        title=body.title,
        description=body.description,
        status_id=status.id,
        category=status.category,
        position=format_rank(position),
        priority=body.priority,
        assignee_id=body.assignee_id,
        reporter_id=reporter,
        due_date=body.due_date,
        version=1,
        created_at=now,
        updated_at=now,
    )


def refused() -> Conflict:
    """The write's check refused twice what the freshly read directory allowed: the board is
    changing under this request (a status or a membership going away)."""
    return Conflict("the project changed while the task was being created; try again")
