"""The caller's own work: the tasks assigned to them, across every project they can still see."""

from __future__ import annotations

from fastapi import APIRouter

from taskwire.common.auth import CallerDep
from taskwire.common.http import ConnDep
from taskwire.common.openapi import problems
from taskwire.tasks.answers import task_from_row
from taskwire.tasks.api.deps import PageByIdDep, encode_cursor
from taskwire.tasks.schemas import TasksPublic
from taskwire.tasks.store import lists

router = APIRouter(tags=["tasks"])


@router.get("/me/tasks", responses=problems(400))
async def my_tasks(caller: CallerDep, conn: ConnDep, page: PageByIdDep) -> TasksPublic:
    """Assigned to the caller, neither archived nor deleted, by id (creation order)."""
    rows, after = await lists.assigned_page(conn, caller.user_id, page.after, page.limit)
    return TasksPublic(
        items=[task_from_row(row) for row in rows],
        next_cursor=None if after is None else encode_cursor(after),
    )
