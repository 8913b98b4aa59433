"""What the task routes share: the directory, the database and settings, pages and filters.

Dependencies are `async def` even when they do not await: FastAPI runs a plain `def` dependency
in its thread pool, a thread hand-off per request for a field read.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal
from uuid import UUID

from fastapi import Depends, Header, Query, Request

from taskwire.common import paging
from taskwire.common.database import Database
from taskwire.common.errors import BadRequest
from taskwire.common.events.projects import Category
from taskwire.common.events.tasks import Priority
from taskwire.common.http import runtime
from taskwire.common.outbox import EventStatements
from taskwire.common.paging import DEFAULT_LIMIT, CursorParam, Limit
from taskwire.tasks.replica.directory import Directory
from taskwire.tasks.settings import TasksSettings
from taskwire.tasks.store.filters import Filters
from taskwire.tasks.store.keyset import Cursor, Order
from taskwire.tasks.use_cases.reading import OrderedPage

# Links between the task routes (taskwire.common.openapi): a task answered, and what changes it.
CREATED_TASK: Final = {"task_id": "$response.body#/id"}
READ_TASK: Final = {"task_id": "$request.path.task_id"}
TASK_CHANGES: Final = ("update_task", "move_task", "archive_task", "restore_task", "delete_task")


async def directory(request: Request) -> Directory:
    found: Directory = request.app.state.directory
    return found


async def database(request: Request) -> Database:
    """The engine (a connection taken per statement or per transaction, never held while the
    directory is asked) and units of work."""
    return runtime(request).database


async def statements(request: Request) -> EventStatements:
    """Writes that are a single statement, with their event: no BEGIN and COMMIT round trips."""
    return runtime(request).database.statements


async def settings(request: Request) -> TasksSettings:
    found: TasksSettings = request.app.state.settings
    return found


DirectoryDep = Annotated[Directory, Depends(directory)]
DatabaseDep = Annotated[Database, Depends(database)]
StatementsDep = Annotated[EventStatements, Depends(statements)]
SettingsDep = Annotated[TasksSettings, Depends(settings)]


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


def next_cursor(after: Cursor | None) -> str | None:
    """The cursor of the next page, or None after the last page."""
    return None if after is None else encode_cursor(after)


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
