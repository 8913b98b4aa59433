"""Changing a task: edit, move, archive, restore and delete.

Each is the same use case around its own rule: read the task (RT1), authorise, honour If-Match,
let the rule compute the next state, write it with its event (RT2). `change_task` holds those
mechanics once; each change only says which rule and which event.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

from taskwire.common.auth import Caller
from taskwire.common.events.changes import changed
from taskwire.common.events.tasks import (
    TASK_ARCHIVED,
    TASK_DELETED,
    TASK_MOVED,
    TASK_RESTORED,
    TASK_UPDATED,
    TaskState,
)
from taskwire.common.outbox import EventStatements
from taskwire.common.problems import Conflict, NotFound, Unprocessable
from taskwire.common.versions import check_if_match
from taskwire.tasks.answers import task_public
from taskwire.tasks.domain import format_rank, rank_between, rank_in, require_writer
from taskwire.tasks.events import task_event
from taskwire.tasks.replica.directory import Directory, MemberView
from taskwire.tasks.schemas import TaskMove, TaskPublic
from taskwire.tasks.store import Person
from taskwire.tasks.store import changes as store
from taskwire.tasks.store.changes import Snapshot, Target

# Without If-Match, a change that lost a race is recomputed on the newer state; each lost race
# means another change landed, so this bounds only a pile-up of concurrent writers.
ATTEMPTS: Final = 10
_rng = random.Random()

# What a change sets, from the task as read and the time of the change.
Rule = Callable[[Snapshot, datetime], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Change:
    event: str
    rule: Rule
    target: Target | None = None  # for a move: where to


ARCHIVE: Final = Change(TASK_ARCHIVED, lambda s, now: {"archived_at": s.task.archived_at or now})
RESTORE: Final = Change(TASK_RESTORED, lambda s, now: {"archived_at": None})
DELETE: Final = Change(TASK_DELETED, lambda s, now: {"deleted": True})


def edit(updates: dict[str, Any]) -> Change:
    """Set the fields `updates` names (a PATCH)."""
    return Change(TASK_UPDATED, lambda snapshot, now: updates)


def move(body: TaskMove) -> Change:
    """To a status (default: its own) between `after` and `before`, or at the column's end."""

    def placed(snapshot: Snapshot, _: datetime) -> dict[str, Any]:
        task, column = snapshot.task, snapshot.column
        assert column is not None  # read because the change has a target
        if column.category is None:
            raise Unprocessable("status_id must be a live status of the task's project")
        if task.id in (body.after, body.before):
            raise Unprocessable("a task cannot be its own neighbour")
        if body.after is None and body.before is None:
            rank = rank_between(column.end, None, _rng)
        else:
            rank = rank_in(column, body.after, body.before, _rng)
        status_id = body.status_id or task.status_id
        return {"status_id": status_id, "category": column.category, "position": format_rank(rank)}

    return Change(TASK_MOVED, placed, Target(body.status_id, body.after, body.before))


async def change_task(
    statements: EventStatements,
    directory: Directory,
    task_id: UUID,
    caller: Caller,
    if_match: str | None,
    change: Change,
    mutation_id: str | None = None,
) -> TaskPublic:
    """Apply `change` to the task, at most once; answer the task as it now is."""
    for _ in range(ATTEMPTS):
        snapshot = await store.read_task(statements.engine, task_id, caller.user_id, change.target)
        await _authorise(directory, snapshot, caller)
        assert snapshot is not None
        # Checked on every attempt: after a lost race, the version read again decides between
        # computing the change again (no If-Match) and 412 (the caller's version is stale).
        check_if_match(if_match, snapshot.task.version, "task")
        now = datetime.now(UTC)
        sets = change.rule(snapshot, now)
        proposed = snapshot.task.model_copy(update=sets)
        changes = changed(snapshot.task, proposed, tuple(sets))
        if not changes:
            # Nothing really changes (a PATCH to the values it has, archiving an archived
            # task): the task as it is, with no new version and no event, so a retry is harmless.
            return task_public(
                snapshot.task, snapshot.key, assignee=snapshot.assignee, reporter=snapshot.reporter
            )
        assignee: Person | MemberView | None = snapshot.assignee
        if "assignee_id" in changes:
            assignee = await _assignee(directory, proposed, caller)
        task = proposed.model_copy(update={"version": snapshot.task.version + 1, "updated_at": now})
        event = task_event(change.event, task, caller.user_id, changes, mutation_id)
        written = await store.write_change(
            statements,
            snapshot.task.version,
            task,
            event,
            caller=caller.user_id,
            assignee=task.assignee_id if "assignee_id" in changes else None,
            status=task.status_id if change.target is not None else None,
            mark=None if snapshot.column is None else snapshot.column.mark_past(task),
        )
        if written:
            return task_public(task, snapshot.key, assignee=assignee, reporter=snapshot.reporter)
        if "assignee_id" in changes and task.assignee_id is not None:
            # The guard may have refused an assignee the directory remembered: ask afresh.
            directory.forget_member(task.workspace_id, task.assignee_id)
    raise Conflict("the task kept changing while this change was applied; try again")


async def _authorise(directory: Directory, snapshot: Snapshot | None, caller: Caller) -> None:
    if snapshot is None:
        raise NotFound("no such task")
    role = snapshot.role
    if role is None:
        # The replica may not know yet of a membership granted a moment ago: ask the projects
        # service through the directory, which stores the answer where RT2's guard sees it. What
        # the directory remembers is older than the replica's answer: forget it first.
        workspace_id = snapshot.task.workspace_id
        directory.forget_member(workspace_id, caller.user_id)
        member = await directory.member(workspace_id, caller.user_id, caller)
        if member is None:
            raise NotFound("no such task")
        role = member.role
    require_writer(role, "changing")


async def _assignee(directory: Directory, task: TaskState, caller: Caller) -> MemberView | None:
    """The new assignee; 422 unless a live member of the task's workspace."""
    if task.assignee_id is None:
        return None
    member = await directory.member(task.workspace_id, task.assignee_id, caller)
    if member is None:
        raise Unprocessable("assignee_id must be a member of the task's workspace")
    return member
