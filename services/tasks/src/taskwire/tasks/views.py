"""A task as answered: its state, its `KEY-42`, and the profiles of its assignee and reporter.

Profiles come from the replica's member rows: joined into the statement that read the task
(`task_from_row`, over `store.viewed`), or, right after a write, from the directory entries the
write was checked against (`profile`). Never loaded one by one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from taskwire.common.events.tasks import TaskState
from taskwire.tasks.replica.directory import MemberView
from taskwire.tasks.schemas import Profile, TaskPublic
from taskwire.tasks.state import task_state

_HIDDEN = {"assignee_id", "reporter_id", "deleted"}


def task_key(project_key: str, number: int) -> str:
    return f"{project_key}-{number}"


def profile(member: MemberView | None) -> Profile | None:
    if member is None:
        return None
    return Profile(
        id=member.user_id,
        email=member.email,
        display_name=member.display_name,
        avatar_url=member.avatar_url,
    )


def task_public(
    task: TaskState, project_key: str, *, assignee: Profile | None, reporter: Profile | None
) -> TaskPublic:
    return TaskPublic(
        **task.model_dump(exclude=_HIDDEN),
        key=task_key(project_key, task.number),
        assignee=assignee,
        reporter=reporter,
    )


def profile_in(row: Row[Any], role: str) -> Profile | None:
    """The `assignee` or `reporter` profile of a row of `store.viewed`."""
    user_id = getattr(row, f"{role}_id")
    email = getattr(row, f"{role}_email")
    if user_id is None or email is None:
        return None
    return Profile(
        id=user_id,
        email=email,
        display_name=getattr(row, f"{role}_display_name"),
        avatar_url=getattr(row, f"{role}_avatar_url"),
    )


def task_from_row(row: Row[Any]) -> TaskPublic:
    """From a row of `store.viewed`: the task's columns, `project_key` and both profiles."""
    return task_public(
        task_state(row),
        row.project_key,
        assignee=profile_in(row, "assignee"),
        reporter=profile_in(row, "reporter"),
    )
