"""Projects: create (with their default board), list, read, edit, archive, restore, delete."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response

from taskwire.common.auth import CallerDep
from taskwire.common.events.projects import ProjectState, StatusState
from taskwire.common.http import ConnDep, IfMatch, UowDep, tag
from taskwire.common.openapi import ETAG, links, problems
from taskwire.projects.api.deps import PageDep, next_cursor
from taskwire.projects.schemas import (
    ProjectCreate,
    ProjectDetail,
    ProjectPublic,
    ProjectsPublic,
    ProjectUpdate,
)
from taskwire.projects.use_cases import projects

router = APIRouter(tags=["projects"])
ARCHIVED = {"false": False, "true": True, "all": None}
CREATED = {"project_id": "$response.body#/id"}
READ = {"project_id": "$request.path.project_id"}
# A project's answer lists its board: a status to delete, and another to take its tasks.
BOARD = {"status_id": "$response.body#/statuses/0/id", "move_to": "$response.body#/statuses/1/id"}
CHANGES = ("update_project", "archive_project", "restore_project", "delete_project")


def _detail(response: Response, found: tuple[ProjectState, list[StatusState]]) -> ProjectDetail:
    """The project with its board, tagged with its version."""
    project, board = found
    tag(response, project.version)
    return ProjectDetail.model_validate(
        {**project.model_dump(exclude={"statuses"}), "statuses": [s.model_dump() for s in board]}
    )


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
    created = await projects.create_project(uow, workspace_id, caller.user_id, **body.model_dump())
    response.headers["Location"] = f"/api/v1/projects/{created[0].id}"
    return _detail(response, created)


@router.get("/workspaces/{workspace_id}/projects", responses=problems(400, 404))
async def list_projects(
    workspace_id: UUID,
    caller: CallerDep,
    conn: ConnDep,
    page: PageDep,
    archived: Annotated[Literal["false", "true", "all"], Query()] = "false",
) -> ProjectsPublic:
    items, after = await projects.list_projects(
        conn, workspace_id, caller.user_id, ARCHIVED[archived], page
    )
    return ProjectsPublic(
        items=[ProjectPublic.model_validate(p) for p in items], next_cursor=next_cursor(after)
    )


@router.get(
    "/projects/{project_id}",
    responses=problems(404)
    | links(200, delete_status=BOARD, **dict.fromkeys(CHANGES, READ | ETAG)),
)
async def get_project(
    project_id: UUID, caller: CallerDep, conn: ConnDep, response: Response
) -> ProjectDetail:
    return _detail(response, await projects.get_project(conn, project_id, caller.user_id))


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
    updated = await projects.update_project(
        uow, project_id, caller.user_id, body.updates(), if_match
    )
    return _detail(response, updated)


@router.post("/projects/{project_id}/archive", responses=problems(400, 403, 404, 412))
async def archive_project(
    project_id: UUID, caller: CallerDep, uow: UowDep, response: Response, if_match: IfMatch = None
) -> ProjectDetail:
    """Archive; archiving an archived project answers it as it is, with no new event."""
    archived = await projects.set_archived(uow, project_id, caller.user_id, True, if_match)
    return _detail(response, archived)


@router.post("/projects/{project_id}/restore", responses=problems(400, 403, 404, 412))
async def restore_project(
    project_id: UUID, caller: CallerDep, uow: UowDep, response: Response, if_match: IfMatch = None
) -> ProjectDetail:
    """Restore; restoring an active project answers it as it is, with no new event."""
    restored = await projects.set_archived(uow, project_id, caller.user_id, False, if_match)
    return _detail(response, restored)


@router.delete("/projects/{project_id}", status_code=204, responses=problems(400, 403, 404, 412))
async def delete_project(
    project_id: UUID, caller: CallerDep, uow: UowDep, if_match: IfMatch = None
) -> None:
    await projects.delete_project(uow, project_id, caller.user_id, if_match)
