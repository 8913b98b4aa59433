"""An import: many tasks created in one transaction, each at the end of its column and with its
own task.created event, all or none. Decided like a single create (`creating.Board`)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from taskwire.common.auth import Caller
from taskwire.common.database import Database
from taskwire.common.events.tasks import TASK_CREATED, TaskState
from taskwire.tasks.domain import check_import
from taskwire.tasks.events import task_event
from taskwire.tasks.replica.directory import Directory
from taskwire.tasks.schemas import TaskCreate, TaskPublic
from taskwire.tasks.store import create as store
from taskwire.tasks.use_cases.creating import ATTEMPTS, Board, draft, refused, target_status


async def import_tasks(
    database: Database,
    directory: Directory,
    project_id: UUID,
    items: Sequence[TaskCreate],
    caller: Caller,
    *,
    most: int,
    mutation_id: str | None = None,
) -> list[TaskPublic]:
    """The tasks created, in the order given; each one's event carries `mutation_id`."""
    check_import(len(items), any(i.after is not None or i.before is not None for i in items), most)
    for _ in range(ATTEMPTS):
        # Decided before the transaction takes its connection: a directory miss needs one of
        # its own (and may ask the projects service), and a request must never hold one pooled
        # connection while it waits for another.
        board = await Board.of(directory, project_id, caller, items)
        columns = [
            target_status(board.project, item.status_id, f"tasks[{i}]")
            for i, item in enumerate(items)
        ]
        async with database.unit_of_work() as uow:
            allocated = await store.allocate(
                uow.connection,
                (board.project.id, board.project.workspace_id),
                caller.user_id,
                len(items),
                {status.id: status.category.value for status in columns},
                set(board.assignees),
            )
            if allocated is None:
                board.forget()
                continue
            first_number = allocated.number - len(items) + 1
            first_position = allocated.position - len(items) + 1
            created: list[TaskState] = [
                draft(
                    board.project,
                    status,
                    item,
                    caller.user_id,
                    first_number + i,
                    first_position + i,
                )
                for i, (item, status) in enumerate(zip(items, columns, strict=True))
            ]
            await store.insert_tasks(uow.connection, created)
            uow.emit(
                *(
                    task_event(TASK_CREATED, t, caller.user_id, mutation_id=mutation_id)
                    for t in created
                )
            )
            await uow.commit()
        return [board.answer(task) for task in created]
    raise refused()
