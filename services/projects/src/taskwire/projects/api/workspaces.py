"""Workspaces: create one (the caller becomes its owner), list mine, read, rename."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from taskwire.common.auth import CallerDep
from taskwire.common.events.projects import Role, WorkspaceState
from taskwire.common.http import ConnDep, IfMatch, UowDep, tag
from taskwire.common.openapi import ETAG, links, problems
from taskwire.projects.api.deps import PageDep, next_cursor
from taskwire.projects.schemas import (
    WorkspaceCreate,
    WorkspacePublic,
    WorkspacesPublic,
    WorkspaceUpdate,
)
from taskwire.projects.use_cases import workspaces

router = APIRouter(prefix="/workspaces", tags=["workspaces"])
CREATED = {"workspace_id": "$response.body#/id"}
READ = {"workspace_id": "$request.path.workspace_id"}


def _public(workspace: WorkspaceState, role: Role) -> WorkspacePublic:
    return WorkspacePublic.model_validate({**workspace.model_dump(), "role": role})


@router.post(
    "",
    status_code=201,
    responses=problems(400, 409)
    | links(
        201,
        get_workspace=CREATED,
        update_workspace=CREATED | ETAG,
        list_members=CREATED,
        add_member=CREATED,
        create_project=CREATED,
        list_projects=CREATED,
    ),
)
async def create_workspace(
    body: WorkspaceCreate, caller: CallerDep, uow: UowDep, response: Response
) -> WorkspacePublic:
    workspace = await workspaces.create_workspace(uow, caller, body.name, body.slug)
    response.headers["Location"] = f"/api/v1/workspaces/{workspace.id}"
    tag(response, workspace.version)
    return _public(workspace, Role.OWNER)


@router.get("", responses=problems(400))
async def list_my_workspaces(caller: CallerDep, conn: ConnDep, page: PageDep) -> WorkspacesPublic:
    items, after = await workspaces.my_workspaces(conn, caller.user_id, page)
    return WorkspacesPublic(
        items=[_public(w, role) for w, role in items], next_cursor=next_cursor(after)
    )


@router.get("/{workspace_id}", responses=problems(404) | links(200, update_workspace=READ | ETAG))
async def get_workspace(
    workspace_id: UUID, caller: CallerDep, conn: ConnDep, response: Response
) -> WorkspacePublic:
    workspace, role = await workspaces.get_workspace(conn, workspace_id, caller.user_id)
    tag(response, workspace.version)
    return _public(workspace, role)


@router.patch(
    "/{workspace_id}",
    responses=problems(400, 403, 404, 409, 412) | links(200, get_workspace=READ),
)
async def update_workspace(
    workspace_id: UUID,
    body: WorkspaceUpdate,
    caller: CallerDep,
    uow: UowDep,
    response: Response,
    if_match: IfMatch = None,
) -> WorkspacePublic:
    workspace, role = await workspaces.update_workspace(
        uow, workspace_id, caller.user_id, body.updates(), if_match
    )
    tag(response, workspace.version)
    return _public(workspace, role)
