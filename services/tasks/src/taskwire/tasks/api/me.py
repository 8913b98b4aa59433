"""The caller's own work: the tasks assigned to them, across every project they can still see."""

from __future__ import annotations

from fastapi import APIRouter

from taskwire.common.auth import CallerDep
from taskwire.common.http import ConnDep
from taskwire.common.openapi import problems
from taskwire.tasks.api.deps import PageByIdDep, next_cursor
from taskwire.tasks.schemas import TasksPublic
from taskwire.tasks.use_cases import reading

router = APIRouter(tags=["tasks"])


@router.get("/me/tasks", responses=problems(400))
async def my_tasks(caller: CallerDep, conn: ConnDep, page: PageByIdDep) -> TasksPublic:
    """Assigned to the caller, neither archived nor deleted, by id (creation order)."""
    items, after = await reading.my_tasks(conn, caller, page)
    return TasksPublic(items=items, next_cursor=next_cursor(after))
