"""Creating and reading tasks: create (one statement), bulk create (one transaction), get, list.

Who may write, which statuses exist and who is a member come from the directory (memory, when
warm); the write statements check all of it again themselves, so a stale answer only decides how
fast a request is refused, never whether a forbidden write lands. When a write's check refuses
what the directory allowed, the entries are forgotten and the request decided again, once.
"""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal
from typing import Final
from uuid import UUID

from fastapi import APIRouter, Request, Response

from taskwire.common.auth import Caller, CallerDep
from taskwire.common.errors import Conflict, NotFound, Problem
from taskwire.common.events.tasks import TASK_CREATED, TaskState
from taskwire.common.http import runtime, tag
from taskwire.common.openapi import ETAG, links, problems
from taskwire.common.outbox import EventStatements
from taskwire.tasks import idempotency
from taskwire.tasks.answers import task_from_row
from taskwire.tasks.api.creating import Board, check_bulk, draft, refused, target_status
from taskwire.tasks.api.deps import (
    CREATED_TASK,
    READ_TASK,
    TASK_CHANGES,
    DirectoryDep,
    FiltersDep,
    IdempotencyKey,
    PageDep,
    StatementsDep,
    encode_cursor,
    project_access,
)
from taskwire.tasks.domain import ceiling, rank_in
from taskwire.tasks.events import task_event
from taskwire.tasks.idempotency import Claim, KeyTaken
from taskwire.tasks.schemas import TaskCreate, TaskPublic, TasksCreate, TasksCreated, TasksPublic
from taskwire.tasks.store import create as store
from taskwire.tasks.store import lists
from taskwire.tasks.store.placement import neighbours

router = APIRouter(tags=["tasks"])
# One more decision after the write's own check refused what the directory allowed.
ATTEMPTS: Final = 2
_rng = random.Random()


@router.post(
    "/projects/{project_id}/tasks",
    status_code=201,
    response_model=TaskPublic,
    responses=problems(400, 403, 404, 409)
    | links(201, get_task=CREATED_TASK, **dict.fromkeys(TASK_CHANGES, CREATED_TASK | ETAG)),
)
async def create_task(
    project_id: UUID,
    body: TaskCreate,
    caller: CallerDep,
    request: Request,
    statements: StatementsDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    claim = None
    if idempotency_key is not None:
        digest = idempotency.fingerprint("create", project_id, body.model_dump(mode="json"))
        claim = Claim(caller.user_id, idempotency_key, digest)
    try:
        task = await _create(request, statements, project_id, body, caller, claim)
    except (Problem, KeyTaken) as refusal:
        if claim is None:
            raise
        # A retry answers what the first request answered, even if it would now be refused.
        task = await _first_answer(statements, claim, refusal)
    # The answer is already a validated TaskPublic: serialised once here, not validated again
    # by the framework (the hot path's largest avoidable cost).
    response = Response(task.model_dump_json(), 201, media_type="application/json")
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    tag(response, task.version)
    return response


async def _first_answer(
    statements: EventStatements, claim: Claim, refusal: Problem | KeyTaken
) -> TaskPublic:
    async with statements.engine.connect() as conn:
        first = await idempotency.first_answer(conn, claim)
    if first is not None:
        return TaskPublic.model_validate(first)
    if isinstance(refusal, Problem):
        raise refusal
    raise Conflict("the request with this Idempotency-Key is gone; retry") from refusal


async def _create(
    request: Request,
    statements: EventStatements,
    project_id: UUID,
    body: TaskCreate,
    caller: Caller,
    claim: Claim | None,
) -> TaskPublic:
    for _ in range(ATTEMPTS):
        board = await Board.of(request.app.state.directory, project_id, caller, [body])
        status = target_status(board.project, body.status_id)
        rank = None
        if body.after is not None or body.before is not None:
            async with statements.engine.connect() as conn:
                gap = await neighbours(conn, project_id, status.id, body.after, body.before)
            rank = rank_in(gap, body.after, body.before, _rng)
        task = draft(
            board.project,
            status,
            body,
            caller.user_id,
            position=Decimal(0) if rank is None else rank,
        )
        event = task_event(TASK_CREATED, task, caller.user_id)
        if claim is not None:
            # Stored with the task by its statement, which fills in the number and the rank.
            claim = replace(claim, response=board.answer(task).model_dump(mode="json"))
        created = await store.create_task(
            statements, task, rank, None if rank is None else ceiling(rank), event, claim
        )
        if created is not None:
            return board.answer(created.given_to(task), created.project_key)
        board.forget()
    raise refused()


@router.post(
    "/projects/{project_id}/tasks/bulk",
    status_code=201,
    responses=problems(400, 403, 404, 409)
    | links(201, get_task={"task_id": "$response.body#/items/0/id"}),
)
async def create_tasks(
    project_id: UUID, body: TasksCreate, caller: CallerDep, request: Request
) -> TasksCreated:
    """An import: all the tasks or none, in one transaction, each at the end of its column and
    with its own task.created event; answered in the order given."""
    most: int = request.app.state.settings.bulk_max_tasks
    check_bulk(body, most)
    for _ in range(ATTEMPTS):
        # Decided before the transaction takes its connection: a directory miss needs one of
        # its own (and may ask the projects service), and a request must never hold one pooled
        # connection while it waits for another.
        board = await Board.of(request.app.state.directory, project_id, caller, body.tasks)
        columns = [
            target_status(board.project, item.status_id, f"tasks[{i}]")
            for i, item in enumerate(body.tasks)
        ]
        async with runtime(request).database.unit_of_work() as uow:
            allocated = await store.allocate(
                uow.connection,
                (board.project.id, board.project.workspace_id),
                caller.user_id,
                len(body.tasks),
                {status.id: status.category.value for status in columns},
                set(board.assignees),
            )
            if allocated is None:
                board.forget()
                continue
            first_number = allocated.number - len(body.tasks) + 1
            first_position = allocated.position - len(body.tasks) + 1
            created: list[TaskState] = [
                draft(
                    board.project,
                    status,
                    item,
                    caller.user_id,
                    first_number + i,
                    first_position + i,
                )
                for i, (item, status) in enumerate(zip(body.tasks, columns, strict=True))
            ]
            await store.insert_tasks(uow.connection, created)
            uow.emit(*(task_event(TASK_CREATED, task, caller.user_id) for task in created))
            await uow.commit()
        return TasksCreated(items=[board.answer(task) for task in created])
    raise refused()


@router.get(
    "/tasks/{task_id}",
    responses=problems(404) | links(200, **dict.fromkeys(TASK_CHANGES, READ_TASK | ETAG)),
)
async def get_task(
    task_id: UUID, caller: CallerDep, request: Request, directory: DirectoryDep, response: Response
) -> TaskPublic:
    # The connection goes back before the directory is asked (see create_tasks).
    async with runtime(request).database.engine.connect() as conn:
        row = await lists.find_task(conn, task_id)
    if row is None:
        raise NotFound("no such task")
    await project_access(directory, row.project_id, caller, write=False, what="task")
    tag(response, row.version)
    return task_from_row(row)


@router.get("/projects/{project_id}/tasks", responses=problems(400, 404))
async def list_tasks(
    project_id: UUID,
    caller: CallerDep,
    request: Request,
    directory: DirectoryDep,
    filters: FiltersDep,
    page: PageDep,
) -> TasksPublic:
    project, _ = await project_access(directory, project_id, caller, write=False)
    # Only once access is decided (see create_tasks).
    async with runtime(request).database.engine.connect() as conn:
        rows, after = await lists.project_page(
            conn, project, page.order, filters, page.after, page.limit
        )
    return TasksPublic(
        items=[task_from_row(row) for row in rows],
        next_cursor=None if after is None else encode_cursor(after),
    )
