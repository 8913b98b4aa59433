"""SQL for the tasks service's tables, one module per use case; each takes the connection.

Every read of tasks joins the replica's member rows for the assignee's and the reporter's
profiles (`viewed`), so a page of tasks is one statement however many people it shows. Its rows
are read back here: the task's state (`task_state`) and each person it shows (`person`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Literal
from uuid import UUID

from sqlalchemy import FromClause, Row, Select, and_, select

from taskwire.common.events.tasks import TaskState
from taskwire.tasks.domain import format_rank
from taskwire.tasks.tables import members, projects, tasks

# The people a task shows, by the role they have in it.
PersonRole = Literal["assignee", "reporter"]
PROFILE_ROLES: Final[tuple[PersonRole, ...]] = ("assignee", "reporter")
PROFILE_COLUMNS: Final = ("email", "display_name", "avatar_url")
COLUMNS: Final = tuple(column.name for column in tasks.columns)


@dataclass(frozen=True, slots=True)
class Person:
    """Someone a task shows, as the replica's member row has them."""

    user_id: UUID
    email: str
    display_name: str
    avatar_url: str | None


def viewed(source: FromClause = tasks) -> Select[Any]:
    """Every column of `source` (tasks, or a subquery of them) with what an answer shows besides:
    the project's key as `project_key`, and each profile as `<role>_<column>` (null when the
    replica has no member row for that user: removed members keep theirs)."""
    joined = source.join(projects, projects.c.id == source.c.project_id)
    profiles = []
    for role in PROFILE_ROLES:
        person = members.alias(role)
        joined = joined.outerjoin(
            person,
            and_(
                person.c.workspace_id == source.c.workspace_id,
                person.c.user_id == source.c[f"{role}_id"],
            ),
        )
        profiles += [person.c[name].label(f"{role}_{name}") for name in PROFILE_COLUMNS]
    return select(source, projects.c.key.label("project_key"), *profiles).select_from(joined)


def task_state(row: Row[Any]) -> TaskState:
    """From a row holding (at least) every column of `tasks` under its own name."""
    values = {name: getattr(row, name) for name in COLUMNS}
    position: Decimal = values["position"]
    values["position"] = format_rank(position)
    return TaskState.model_validate(values)


def person(row: Row[Any], role: PersonRole) -> Person | None:
    """The assignee or the reporter of a row of `viewed`; None when it shows nobody."""
    user_id = getattr(row, f"{role}_id")
    email = getattr(row, f"{role}_email")
    if user_id is None or email is None:
        return None
    return Person(
        user_id, email, getattr(row, f"{role}_display_name"), getattr(row, f"{role}_avatar_url")
    )
