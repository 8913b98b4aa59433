"""Projects: create (with their default board), list, read, edit, archive, restore, delete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.auth import CallerDep
from taskwire.common.errors import Conflict, NotFound
from taskwire.common.events.projects import (
    PROJECT_ARCHIVED,
    PROJECT_CREATED,
    PROJECT_DELETED,
    PROJECT_RESTORED,
    PROJECT_UPDATED,
    Category,
    Counts,
    ProjectState,
    Role,
    StatusState,
)
from taskwire.common.ids import new_id
from taskwire.common.openapi import ETAG, links, problems
from taskwire.common.outbox import EventUnitOfWork
from taskwire.projects import domain
from taskwire.projects.api.deps import ConnDep, IfMatch, PageDep, UowDep, tag
from taskwire.projects.events import project_event
from taskwire.projects.schemas import (
    ProjectCreate,
    ProjectDetail,
    ProjectPublic,
    ProjectsPublic,
    ProjectUpdate,
)
from taskwire.projects.store import conflict_on
from taskwire.projects.store import projects as store
from taskwire.projects.store import statuses as boards
from taskwire.projects.store.workspaces import workspace_for

router = APIRouter(tags=["projects"])
ARCHIVED = {"false": False, "true": True, "all": None}
CREATED = {"project_id": "$response.body#/id"}
READ = {"project_id": "$request.path.project_id"}
# A project's answer lists its board: a status to delete, and another to take its tasks.
BOARD = {"status_id": "$response.body#/statuses/0/id", "move_to": "$response.body#/statuses/1/id"}
CHANGES = ("update_project", "archive_project", "restore_project", "delete_project")


async def project_for(
    conn: AsyncConnection, project_id: UUID, user_id: UUID, *, lock: bool = False
) -> tuple[ProjectState, Role]:
    found = await store.project_for(conn, project_id, user_id, lock=lock)
    if found is None:
        raise NotFound("no such project")
    return found


def _detail(project: ProjectState, board: list[StatusState]) -> ProjectDetail:
    return ProjectDetail.model_validate(
        {**project.model_dump(exclude={"statuses"}), "statuses": [s.model_dump() for s in board]}
    )


def _key_taken(key: str) -> Conflict:
    return Conflict(f"another project of this workspace has the key {key!r}", key=key)


@router.post(
    "/workspaces/{workspace_id}/projects",
    status_code=201,
    responses=problems(400, 403, 404, 409)
    | links(
        201,
        get_project=CREATED,
        list_statuses=CREATED,
        create_status=CREATED,
        **dict.fromkeys(CHANGES, CREATED | ETAG),
    ),
)
async def create_project(
    workspace_id: UUID, body: ProjectCreate, caller: CallerDep, uow: UowDep, response: Response
) -> ProjectDetail:
    found = await workspace_for(uow.connection, workspace_id, caller.user_id)
    if found is None:
        raise NotFound("no such workspace")
    domain.require_role(found[1], Role.ADMIN, "creating projects")
    now, project_id = datetime.now(UTC), new_id()
    ids = [new_id() for _ in domain.DEFAULT_STATUSES]
    board = domain.default_statuses(project_id, workspace_id, ids)
    project = ProjectState(
        **body.model_dump(),
        id=project_id,
        workspace_id=workspace_id,
        derived_status=Category.TODO,
        counts=Counts(),
        version=1,
        created_at=now,
        updated_at=now,
        statuses=board,
    )
    if not await store.insert_project(uow.connection, project, board, now):
        raise _key_taken(project.key)
    # One event carries the project and its default board; no status.created per default.
    uow.emit(project_event(PROJECT_CREATED, project, caller.user_id))
    await uow.commit()
    response.headers["Location"] = f"/api/v1/projects/{project.id}"
    tag(response, project.version)
    return _detail(project, board)


@router.get("/workspaces/{workspace_id}/projects", responses=problems(400, 404))
async def list_projects(
    workspace_id: UUID,
    caller: CallerDep,
    conn: ConnDep,
    page: PageDep,
    archived: Annotated[Literal["false", "true", "all"], Query()] = "false",
) -> ProjectsPublic:
    rows = await store.projects_page(
        conn, workspace_id, caller.user_id, ARCHIVED[archived], page.after, page.limit + 1
    )
    if rows is None:
        raise NotFound("no such workspace")
    items, cursor = page.split(rows, lambda project: project.id)
    return ProjectsPublic(
        items=[ProjectPublic.model_validate(p) for p in items], next_cursor=cursor
    )


@router.get(
    "/projects/{project_id}",
    responses=problems(404)
    | links(200, delete_status=BOARD, **dict.fromkeys(CHANGES, READ | ETAG)),
)
async def get_project(
    project_id: UUID, caller: CallerDep, conn: ConnDep, response: Response
) -> ProjectDetail:
    project, _ = await project_for(conn, project_id, caller.user_id)
    tag(response, project.version)
    return _detail(project, await boards.board(conn, project_id))


@router.patch(
    "/projects/{project_id}",
    responses=problems(400, 403, 404, 409, 412) | links(200, get_project=READ),
)
async def update_project(
    project_id: UUID,
    body: ProjectUpdate,
    caller: CallerDep,
    uow: UowDep,
    response: Response,
    if_match: IfMatch = None,
) -> ProjectDetail:
    project, role = await project_for(uow.connection, project_id, caller.user_id, lock=True)
    domain.require_role(role, Role.ADMIN, "changing projects")
    domain.check_if_match(if_match, project.version, "project")
    project, changes = domain.revise(project, body.updates(), updated_at=datetime.now(UTC))
    if changes:
        with conflict_on(store.KEY_CONSTRAINT, str(_key_taken(project.key))):
            await store.save_project(uow.connection, project)
        uow.emit(project_event(PROJECT_UPDATED, project, caller.user_id, changes))
    board = await boards.board(uow.connection, project_id)
    await uow.commit()
    tag(response, project.version)
    return _detail(project, board)


@router.post("/projects/{project_id}/archive", responses=problems(403, 404, 412))
async def archive_project(
    project_id: UUID, caller: CallerDep, uow: UowDep, response: Response, if_match: IfMatch = None
) -> ProjectDetail:
    """Archive; archiving an archived project answers it as it is, with no new event."""
    return await _set_archived(project_id, True, caller.user_id, uow, response, if_match)


@router.post("/projects/{project_id}/restore", responses=problems(403, 404, 412))
async def restore_project(
    project_id: UUID, caller: CallerDep, uow: UowDep, response: Response, if_match: IfMatch = None
) -> ProjectDetail:
    """Restore; restoring an active project answers it as it is, with no new event."""
    return await _set_archived(project_id, False, caller.user_id, uow, response, if_match)


async def _set_archived(
    project_id: UUID,
    archived: bool,
    user_id: UUID,
    uow: EventUnitOfWork,
    response: Response,
    if_match: str | None,
) -> ProjectDetail:
    project, role = await project_for(uow.connection, project_id, user_id, lock=True)
    domain.require_role(role, Role.ADMIN, "archiving and restoring projects")
    domain.check_if_match(if_match, project.version, "project")
    if (project.archived_at is not None) != archived:
        now = datetime.now(UTC)
        project, changes = domain.revise(
            project, {"archived_at": now if archived else None}, updated_at=now
        )
        await store.save_project(uow.connection, project)
        event = PROJECT_ARCHIVED if archived else PROJECT_RESTORED
        uow.emit(project_event(event, project, user_id, changes))
    board = await boards.board(uow.connection, project_id)
    await uow.commit()
    tag(response, project.version)
    return _detail(project, board)


@router.delete("/projects/{project_id}", status_code=204, responses=problems(403, 404, 412))
async def delete_project(
    project_id: UUID, caller: CallerDep, uow: UowDep, if_match: IfMatch = None
) -> None:
    project, role = await project_for(uow.connection, project_id, caller.user_id, lock=True)
    domain.require_role(role, Role.ADMIN, "deleting projects")
    domain.check_if_match(if_match, project.version, "project")
    project, changes = domain.revise(project, {"deleted": True}, updated_at=datetime.now(UTC))
    await store.save_project(uow.connection, project)
    uow.emit(project_event(PROJECT_DELETED, project, caller.user_id, changes))
    await uow.commit()
