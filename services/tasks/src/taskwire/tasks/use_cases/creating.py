"""Creating a task: one statement, so one round trip, with its event and (under an
`Idempotency-Key`) the answer a retry replays.

What a create decides before it writes (who may, into which column, for whom, and the state)
comes from the directory (memory, when warm). The write re-checks all of it inside its statement,
so a stale answer decides how fast a request is refused, never whether a forbidden write lands;
when the check refuses what the directory allowed, `Board.forget` drops what it held and the
request is decided once more, on what the replica holds.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final
from uuid import UUID

from taskwire.common.auth import Caller
from taskwire.common.events.tasks import TASK_CREATED, TaskState
from taskwire.common.ids import new_id
from taskwire.common.outbox import EventStatements
from taskwire.common.problems import Conflict, Problem, Unprocessable
from taskwire.tasks import idempotency
from taskwire.tasks.answers import task_public
from taskwire.tasks.domain import ceiling, format_rank, rank_in
from taskwire.tasks.events import task_event
from taskwire.tasks.idempotency import Claim, KeyTaken
from taskwire.tasks.replica.directory import Directory, MemberView, ProjectView, StatusView
from taskwire.tasks.schemas import TaskCreate, TaskPublic
from taskwire.tasks.store import create as store
from taskwire.tasks.store.placement import neighbours
from taskwire.tasks.use_cases.access import project_access

# One more decision after the write's own check refused what the directory allowed.
ATTEMPTS: Final = 2
_rng = random.Random()


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


async def create_task(
    statements: EventStatements,
    directory: Directory,
    project_id: UUID,
    body: TaskCreate,
    caller: Caller,
    idempotency_key: str | None = None,
    mutation_id: str | None = None,
) -> TaskPublic:
    """The task created, in its column between `after` and `before` or at its end. A retry
    with the same `idempotency_key` answers what the first request answered (and writes no
    event, so it carries no `mutation_id`)."""
    claim = None
    if idempotency_key is not None:
        digest = idempotency.fingerprint("create", project_id, body.model_dump(mode="json"))
        claim = Claim(caller.user_id, idempotency_key, digest)
    try:
        return await _create(statements, directory, project_id, body, caller, claim, mutation_id)
    except (Problem, KeyTaken) as refusal:
        if claim is None:
            raise
        # A retry answers what the first request answered, even if it would now be refused.
        return await _first_answer(statements, claim, refusal)


async def _create(
    statements: EventStatements,
    directory: Directory,
    project_id: UUID,
    body: TaskCreate,
    caller: Caller,
    claim: Claim | None,
    mutation_id: str | None,
) -> TaskPublic:
    for _ in range(ATTEMPTS):
        board = await Board.of(directory, project_id, caller, [body])
        status = target_status(board.project, body.status_id)
        rank = None
        if body.after is not None or body.before is not None:
            gap = await neighbours(
                statements.engine, project_id, status.id, body.after, body.before
            )
            rank = rank_in(gap, body.after, body.before, _rng)
        task = draft(
            board.project,
            status,
            body,
            caller.user_id,
            position=Decimal(0) if rank is None else rank,
        )
        event = task_event(TASK_CREATED, task, caller.user_id, mutation_id=mutation_id)
        if claim is not None:
            # Stored with the task by its statement, which fills in the number and the rank.
            claim = replace(claim, response=board.answer(task).model_dump(mode="json"))
        created = await store.create_task(
            statements, task, rank, None if rank is None else ceiling(rank), event, claim
        )
        if created is not None:
            return board.answer(created.given_to(task), created.project_key)
        board.forget()
    raise refused()


async def _first_answer(
    statements: EventStatements, claim: Claim, refusal: Problem | KeyTaken
) -> TaskPublic:
    async with statements.engine.connect() as conn:
        first = await idempotency.first_answer(conn, claim)
    if first is not None:
        return TaskPublic.model_validate(first)
    if isinstance(refusal, Problem):
        raise refusal
    raise Conflict("the request with this Idempotency-Key is gone; retry") from refusal
