"""A task as answered: its state, its `KEY-42`, and the profiles of its assignee and reporter.

Profiles come from the replica's member rows: joined into the statement that read the task
(`task_from_row`, over `store.viewed`), or, right after a write, from the directory entries the
write was checked against. Never loaded one by one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from taskwire.common.events.tasks import TaskState
from taskwire.tasks.replica.directory import MemberView
from taskwire.tasks.schemas import Profile, TaskPublic
from taskwire.tasks.store import Person, person, task_state

_HIDDEN = {"assignee_id", "reporter_id", "deleted"}


def task_key(project_key: str, number: int) -> str:
    return f"{project_key}-{number}"


def profile(someone: Person | MemberView | None) -> Profile | None:
    if someone is None:
        return None
    return Profile(
        id=someone.user_id,
        email=someone.email,
        display_name=someone.display_name,
        avatar_url=someone.avatar_url,
    )


def task_public(
    task: TaskState,
    project_key: str,
    *,
    assignee: Person | MemberView | None,
    reporter: Person | MemberView | None,
) -> TaskPublic:
    return TaskPublic(
        **task.model_dump(exclude=_HIDDEN),
        key=task_key(project_key, task.number),
        assignee=profile(assignee),
        reporter=profile(reporter),
    )


def task_from_row(row: Row[Any]) -> TaskPublic:
    """From a row of `store.viewed`: the task's columns, `project_key` and both profiles."""
    return task_public(
        task_state(row),
        row.project_key,
        assignee=person(row, "assignee"),
        reporter=person(row, "reporter"),
    )
