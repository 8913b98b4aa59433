"""Reading tasks: one task, a project's list, the caller's own work, and the task facts the
aggregator recounts from.

A read connection goes back to the pool before the directory is asked (and the other way
round): a directory miss needs a connection of its own, and a request must never hold one
pooled connection while it waits for another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taskwire.common.auth import Caller
from taskwire.common.paging import Page
from taskwire.common.problems import NotFound
from taskwire.tasks.answers import task_from_row
from taskwire.tasks.replica.directory import Directory
from taskwire.tasks.schemas import TaskPublic
from taskwire.tasks.store import facts, lists
from taskwire.tasks.store.facts import Fact
from taskwire.tasks.store.filters import Filters
from taskwire.tasks.store.keyset import Cursor, Order
from taskwire.tasks.use_cases.access import project_access


@dataclass(frozen=True)
class OrderedPage(Page[Cursor]):
    """`?order=&limit=&cursor=` of a list: the next page starts after the cursor's task."""

    order: Order


async def get_task(
    engine: AsyncEngine, directory: Directory, task_id: UUID, caller: Caller
) -> TaskPublic:
    """The live task, if the caller may see its project."""
    async with engine.connect() as conn:
        row = await lists.find_task(conn, task_id)
    if row is None:
        raise NotFound("no such task")
    await project_access(directory, row.project_id, caller, write=False, what="task")
    return task_from_row(row)


async def list_tasks(
    engine: AsyncEngine,
    directory: Directory,
    project_id: UUID,
    caller: Caller,
    filters: Filters,
    page: OrderedPage,
) -> tuple[list[TaskPublic], Cursor | None]:
    """A page of the project's tasks, and where the next one starts (None after the last)."""
    project, _ = await project_access(directory, project_id, caller, write=False)
    async with engine.connect() as conn:
        rows, after = await lists.project_page(
            conn, project, page.order, filters, page.after, page.limit
        )
    return [task_from_row(row) for row in rows], after


async def my_tasks(
    conn: AsyncConnection, caller: Caller, page: Page[Cursor]
) -> tuple[list[TaskPublic], Cursor | None]:
    """Assigned to the caller, neither archived nor deleted, by id (creation order)."""
    rows, after = await lists.assigned_page(conn, caller.user_id, page.after, page.limit)
    return [task_from_row(row) for row in rows], after


async def task_facts(
    engine: AsyncEngine, project_id: UUID | None, after: UUID | None, limit: int
) -> tuple[list[Fact], str | None]:
    """Up to `limit` tasks' facts by id, from just after `after`, and the `after` of the next
    page (None once a page comes back short: the walk is over)."""
    async with engine.connect() as conn:
        items = await facts.facts_page(conn, project_id, after, limit)
    return items, items[-1][0] if len(items) == limit else None


async def task_facts_of(engine: AsyncEngine, ids: Sequence[UUID]) -> list[Fact]:
    """The facts of those of `ids` that exist (deleted ones included), by id."""
    async with engine.connect() as conn:
        return await facts.facts_of(conn, ids)
