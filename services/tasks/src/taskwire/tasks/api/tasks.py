"""Tasks: create (one statement), bulk create (one transaction), read, and a project's list."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from taskwire.common.auth import CallerDep
from taskwire.common.http import ClientMutationId, tag
from taskwire.common.openapi import ETAG, links, problems
from taskwire.tasks.api.deps import (
    CREATED_TASK,
    READ_TASK,
    TASK_CHANGES,
    DatabaseDep,
    DirectoryDep,
    FiltersDep,
    IdempotencyKey,
    PageDep,
    SettingsDep,
    StatementsDep,
    next_cursor,
)
from taskwire.tasks.schemas import TaskCreate, TaskPublic, TasksCreate, TasksCreated, TasksPublic
from taskwire.tasks.use_cases import creating, importing, reading

router = APIRouter(tags=["tasks"])


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
    statements: StatementsDep,
    directory: DirectoryDep,
    mutation_id: ClientMutationId,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    task = await creating.create_task(
        statements, directory, project_id, body, caller, idempotency_key, mutation_id
    )
    # The answer is already a validated TaskPublic: serialised once here, not validated again
    # by the framework (the hot path's largest avoidable cost).
    response = Response(task.model_dump_json(), 201, media_type="application/json")
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    tag(response, task.version)
    return response


@router.post(
    "/projects/{project_id}/tasks/bulk",
    status_code=201,
    responses=problems(400, 403, 404, 409)
    | links(201, get_task={"task_id": "$response.body#/items/0/id"}),
)
async def create_tasks(
    project_id: UUID,
    body: TasksCreate,
    caller: CallerDep,
    database: DatabaseDep,
    directory: DirectoryDep,
    settings: SettingsDep,
    mutation_id: ClientMutationId,
) -> TasksCreated:
    """An import: all the tasks or none, in one transaction, each at the end of its column and
    with its own task.created event; answered in the order given."""
    created = await importing.import_tasks(
        database,
        directory,
        project_id,
        body.tasks,
        caller,
        most=settings.bulk_max_tasks,
        mutation_id=mutation_id,
    )
    return TasksCreated(items=created)


@router.get(
    "/tasks/{task_id}",
    responses=problems(404) | links(200, **dict.fromkeys(TASK_CHANGES, READ_TASK | ETAG)),
)
async def get_task(
    task_id: UUID,
    caller: CallerDep,
    database: DatabaseDep,
    directory: DirectoryDep,
    response: Response,
) -> TaskPublic:
    task = await reading.get_task(database.engine, directory, task_id, caller)
    tag(response, task.version)
    return task


@router.get("/projects/{project_id}/tasks", responses=problems(400, 404))
async def list_tasks(
    project_id: UUID,
    caller: CallerDep,
    database: DatabaseDep,
    directory: DirectoryDep,
    filters: FiltersDep,
    page: PageDep,
) -> TasksPublic:
    items, after = await reading.list_tasks(
        database.engine, directory, project_id, caller, filters, page
    )
    return TasksPublic(items=items, next_cursor=next_cursor(after))
