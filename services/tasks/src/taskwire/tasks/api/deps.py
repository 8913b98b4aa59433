"""What the task routes share: the directory, single statements, who may do what, and pages.

Authorisation is answered by the directory (in memory when warm): a project of a workspace the
caller is not a live member of is "not found", exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final, Literal
from uuid import UUID

from fastapi import Depends, Header, Query, Request

from taskwire.common import paging
from taskwire.common.auth import Caller
from taskwire.common.errors import BadRequest, Forbidden, NotFound
from taskwire.common.events.projects import Category
from taskwire.common.events.tasks import Priority
from taskwire.common.outbox import EventStatements
from taskwire.common.paging import DEFAULT_LIMIT, CursorParam, Limit, Page
from taskwire.tasks.domain import WRITERS
from taskwire.tasks.replica.directory import Directory, MemberView, ProjectView
from taskwire.tasks.store.keyset import Cursor, Order
from taskwire.tasks.store.lists import Filters

# Links between the task routes (taskwire.common.openapi): a task answered, and what changes it.
CREATED_TASK: Final = {"task_id": "$response.body#/id"}
READ_TASK: Final = {"task_id": "$request.path.task_id"}
TASK_CHANGES: Final = ("update_task", "move_task", "archive_task", "restore_task", "delete_task")


# Dependencies are `async def` even when they do not await: FastAPI runs a plain `def`
# dependency in its thread pool, a thread hand-off per request for a field read.
async def directory(request: Request) -> Directory:
    found: Directory = request.app.state.directory
    return found


async def statements(request: Request) -> EventStatements:
    """Writes that are a single statement, with their event: no BEGIN and COMMIT round trips."""
    found: EventStatements = request.app.state.statements
    return found


DirectoryDep = Annotated[Directory, Depends(directory)]
StatementsDep = Annotated[EventStatements, Depends(statements)]


async def project_access(
    directory: Directory, project_id: UUID, caller: Caller, *, write: bool, what: str = "project"
) -> tuple[ProjectView, MemberView]:
    """The live project and the caller's live membership of its workspace, or 404 (`what`
    names the thing asked for); 403 when `write` and the caller only reads."""
    project = await directory.project(project_id, caller)
    member = (
        None
        if project is None
        else await directory.member(project.workspace_id, caller.user_id, caller)
    )
    if project is None or member is None:
        raise NotFound(f"no such {what}")
    if write and member.role not in WRITERS:
        raise Forbidden(f"a {member.role.value} reads tasks; writing them takes a member or above")
    return project, member


def encode_cursor(cursor: Cursor) -> str:
    """A keyset cursor travels as its JSON (taskwire.common.paging encodes it)."""
    return paging.encode_cursor(cursor.model_dump_json(exclude_none=True).encode())


def decode_cursor(raw: str, order: Order) -> Cursor:
    """The position a page starts after; anything but an unchanged next_cursor of the same order
    answers 400."""
    cursor = paging.decode_cursor(raw, Cursor.model_validate_json)
    if cursor.order is not order:
        raise BadRequest(f"this cursor pages in {cursor.order.value!r} order, not {order.value!r}")
    return cursor


@dataclass(frozen=True)
class OrderedPage(Page[Cursor]):
    """`?order=&limit=&cursor=` of a list: the next page starts after the cursor's task."""

    order: Order


async def page(
    order: Annotated[Order, Query(description="board: by status, then rank; or by time")] = (
        Order.BOARD
    ),
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> OrderedPage:
    return OrderedPage(limit, decode_cursor(cursor, order) if cursor else None, order)


async def page_by_id(limit: Limit = DEFAULT_LIMIT, cursor: CursorParam = None) -> OrderedPage:
    """A list in one order only: by id, which is creation order."""
    return await page(Order.CREATED, limit, cursor)


async def filters(
    status_id: UUID | None = None,
    category: Category | None = None,
    assignee_id: UUID | None = None,
    priority: Priority | None = None,
    archived: Literal["false", "true", "all"] = "false",
    q: Annotated[str | None, Query(max_length=200, description="in the title, any case")] = None,
) -> Filters:
    shown = {"false": False, "true": True, "all": None}[archived]
    return Filters(status_id, category, assignee_id, priority, shown, q or None)


PageDep = Annotated[OrderedPage, Depends(page)]
PageByIdDep = Annotated[OrderedPage, Depends(page_by_id)]
FiltersDep = Annotated[Filters, Depends(filters)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="a retry with the same key answers the first response, never a second task",
    ),
]
