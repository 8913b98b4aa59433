"""Changing a task: edit, move, archive, restore and delete (`use_cases.changing`)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from taskwire.common.auth import CallerDep
from taskwire.common.http import ClientMutationId, IfMatch, tag
from taskwire.common.openapi import links, problems
from taskwire.tasks.api.deps import READ_TASK, DirectoryDep, StatementsDep
from taskwire.tasks.schemas import TaskMove, TaskPublic, TaskUpdate
from taskwire.tasks.use_cases import changing
from taskwire.tasks.use_cases.changing import ARCHIVE, DELETE, RESTORE

router = APIRouter(tags=["tasks"])


@router.patch(
    "/tasks/{task_id}", responses=problems(400, 403, 404, 409, 412) | links(200, get_task=READ_TASK)
)
async def update_task(
    task_id: UUID,
    body: TaskUpdate,
    caller: CallerDep,
    statements: StatementsDep,
    directory: DirectoryDep,
    response: Response,
    mutation_id: ClientMutationId,
    if_match: IfMatch = None,
) -> TaskPublic:
    change = changing.edit(body.updates())
    task = await changing.change_task(
        statements, directory, task_id, caller, if_match, change, mutation_id
    )
    return _tagged(response, task)


@router.post(
    "/tasks/{task_id}/move",
    responses=problems(400, 403, 404, 409, 412) | links(200, get_task=READ_TASK),
)
async def move_task(
    task_id: UUID,
    body: TaskMove,
    caller: CallerDep,
    statements: StatementsDep,
    directory: DirectoryDep,
    response: Response,
    mutation_id: ClientMutationId,
    if_match: IfMatch = None,
) -> TaskPublic:
    """To a status (default: its own) between `after` and `before`, or at the column's end."""
    change = changing.move(body)
    task = await changing.change_task(
        statements, directory, task_id, caller, if_match, change, mutation_id
    )
    return _tagged(response, task)


@router.post("/tasks/{task_id}/archive", responses=problems(400, 403, 404, 409, 412))
async def archive_task(
    task_id: UUID,
    caller: CallerDep,
    statements: StatementsDep,
    directory: DirectoryDep,
    response: Response,
    mutation_id: ClientMutationId,
    if_match: IfMatch = None,
) -> TaskPublic:
    """Archiving an archived task answers it as it is, with no new version and no event."""
    task = await changing.change_task(
        statements, directory, task_id, caller, if_match, ARCHIVE, mutation_id
    )
    return _tagged(response, task)


@router.post("/tasks/{task_id}/restore", responses=problems(400, 403, 404, 409, 412))
async def restore_task(
    task_id: UUID,
    caller: CallerDep,
    statements: StatementsDep,
    directory: DirectoryDep,
    response: Response,
    mutation_id: ClientMutationId,
    if_match: IfMatch = None,
) -> TaskPublic:
    """Restoring a live task answers it as it is, with no new version and no event."""
    task = await changing.change_task(
        statements, directory, task_id, caller, if_match, RESTORE, mutation_id
    )
    return _tagged(response, task)


@router.delete("/tasks/{task_id}", status_code=204, responses=problems(400, 403, 404, 409, 412))
async def delete_task(
    task_id: UUID,
    caller: CallerDep,
    statements: StatementsDep,
    directory: DirectoryDep,
    mutation_id: ClientMutationId,
    if_match: IfMatch = None,
) -> None:
    """A tombstone: the row stays, deleted and at the next version, hidden from every read."""
    await changing.change_task(
        statements, directory, task_id, caller, if_match, DELETE, mutation_id
    )


def _tagged(response: Response, answer: TaskPublic) -> TaskPublic:
    tag(response, answer.version)
    return answer
