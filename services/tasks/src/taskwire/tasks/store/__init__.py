"""SQL for the tasks service's tables, one module per use case; each takes the connection.

Every read of tasks joins the replica's member rows for the assignee's and the reporter's
profiles (`viewed`), so a page of tasks is one statement however many people it shows. Its rows
are read back here: the task's state (`task_state`) and each person it shows (`person`), from a
SQLAlchemy row or, for the statements precompiled for the hot paths (`fetchrow`), an asyncpg one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, Literal, Protocol
from uuid import UUID

import asyncpg
from sqlalchemy import FromClause, Row, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.common.events.tasks import TaskState
from taskwire.common.outbox import Positional
from taskwire.tasks.domain import WRITERS, format_rank
from taskwire.tasks.tables import members, projects, tasks

# The people a task shows, by the role they have in it.
PersonRole = Literal["assignee", "reporter"]
PROFILE_ROLES: Final[tuple[PersonRole, ...]] = ("assignee", "reporter")
PROFILE_COLUMNS: Final = ("email", "display_name", "avatar_url")
COLUMNS: Final = tuple(column.name for column in tasks.columns)

# The guard of every write, inside the write: the caller (`:caller`) a live writer of the
# workspace (`:workspace_id`). The writer roles, from the domain's rung of the role ladder, are
# written in as constants (the enum's own values): bound as an array parameter, they cost the
# create path about a tenth of its throughput (bench/task_create.py, 0.71 -> 0.63).
LIVE_WRITER: Final = f"""SELECT 1 FROM members caller
    WHERE caller.workspace_id = :workspace_id AND caller.user_id = :caller
      AND caller.removed IS false
      AND caller.role IN ({", ".join(f"'{role.value}'" for role in sorted(WRITERS))})"""


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


class Fields(Protocol):
    """A row's values by column name: an asyncpg record, or a SQLAlchemy row's `_mapping`."""

    def __getitem__(self, name: str, /) -> Any: ...


def fields(row: Row[Any] | asyncpg.Record) -> Fields:
    return row._mapping if isinstance(row, Row) else row


def task_state(row: Row[Any] | asyncpg.Record) -> TaskState:
    """From a row holding (at least) every column of `tasks` under its own name."""
    values = fields(row)
    state = {name: values[name] for name in COLUMNS}
    position: Decimal = state["position"]
    state["position"] = format_rank(position)
    return TaskState.model_validate(state)


def person(row: Row[Any] | asyncpg.Record, role: PersonRole) -> Person | None:
    """The assignee or the reporter of a row of `viewed`; None when it shows nobody."""
    values = fields(row)
    user_id, email = values[f"{role}_id"], values[f"{role}_email"]
    if user_id is None or email is None:
        return None
    return Person(user_id, email, values[f"{role}_display_name"], values[f"{role}_avatar_url"])


async def fetchrow(
    engine: AsyncEngine, statement: Positional, values: Mapping[str, object]
) -> asyncpg.Record | None:
    """Run a precompiled read on the pooled asyncpg connection itself, as a hot path's write
    runs (`EventStatements.fetchrow`): SQLAlchemy's execution layer would cost it more than the
    statement does. Outside any transaction: one statement sees one snapshot."""
    pooled = await engine.raw_connection()
    driver: asyncpg.Connection | None = pooled.driver_connection
    try:
        if driver is None:
            raise RuntimeError("the pool handed out a closed connection")
        row: asyncpg.Record | None = await driver.fetchrow(
            statement.sql, *[values[name] for name in statement.names]
        )
    except BaseException as exc:
        # SQLAlchemy's execution layer would discard a connection the server dropped; here that
        # is ours to do, or the pool would hand it out again to fail every request. Only an error
        # the server answered leaves the connection as it was; after any other (the connection
        # lost, the protocol interrupted) it is closed, and the pool opens a new one.
        if not isinstance(exc, asyncpg.PostgresError) or (
            driver is not None and driver.is_closed()
        ):
            pooled.invalidate()
        raise
    finally:
        pooled.close()  # back to the pool
    return row
