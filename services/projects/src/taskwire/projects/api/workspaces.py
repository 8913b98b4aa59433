"""Workspaces: create one (the caller becomes its owner), list mine, read, rename."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Response

from taskwire.common.auth import Caller, CallerDep
from taskwire.common.errors import Conflict, NotFound
from taskwire.common.events.projects import (
    MEMBER_ADDED,
    WORKSPACE_CREATED,
    WORKSPACE_UPDATED,
    MemberState,
    Role,
    WorkspaceState,
)
from taskwire.common.ids import new_id
from taskwire.common.openapi import ETAG, links, problems
from taskwire.projects import domain
from taskwire.projects.api.deps import ConnDep, IfMatch, PageDep, UowDep, tag
from taskwire.projects.events import member_event, workspace_event
from taskwire.projects.schemas import (
    WorkspaceCreate,
    WorkspacePublic,
    WorkspacesPublic,
    WorkspaceUpdate,
)
from taskwire.projects.store import conflict_on
from taskwire.projects.store import workspaces as store

router = APIRouter(prefix="/workspaces", tags=["workspaces"])
CREATED = {"workspace_id": "$response.body#/id"}
READ = {"workspace_id": "$request.path.workspace_id"}


def _public(workspace: WorkspaceState, role: Role) -> WorkspacePublic:
    return WorkspacePublic.model_validate({**workspace.model_dump(), "role": role})


def _owner(workspace: WorkspaceState, caller: Caller) -> MemberState:
    return MemberState(
        workspace_id=workspace.id,
        user_id=caller.user_id,
        email=caller.email,
        display_name=caller.name,
        avatar_url=caller.picture,
        role=Role.OWNER,
        version=1,
        created_at=workspace.created_at,
        updated_at=workspace.created_at,
    )


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
    now = datetime.now(UTC)
    slug = body.slug or domain.slugify(body.name)
    workspace = WorkspaceState(
        id=new_id(), name=body.name, slug=slug, version=1, created_at=now, updated_at=now
    )
    owner = _owner(workspace, caller)
    created = await store.insert_workspace(uow.connection, workspace, owner)
    if not created and body.slug is None:
        # A slug derived from the name was not the caller's choice: make it unique instead.
        workspace = workspace.model_copy(
            update={"slug": domain.with_suffix(slug, new_id().hex[-6:])}
        )
        created = await store.insert_workspace(uow.connection, workspace, owner)
    if not created:
        raise Conflict(f"the slug {workspace.slug!r} is taken; choose another")
    uow.emit(
        workspace_event(WORKSPACE_CREATED, workspace, caller.user_id),
        member_event(MEMBER_ADDED, owner, caller.user_id),
    )
    await uow.commit()
    response.headers["Location"] = f"/api/v1/workspaces/{workspace.id}"
    tag(response, workspace.version)
    return _public(workspace, Role.OWNER)


@router.get("", responses=problems(400))
async def list_my_workspaces(caller: CallerDep, conn: ConnDep, page: PageDep) -> WorkspacesPublic:
    rows = await store.workspaces_of(conn, caller.user_id, page.after, page.limit + 1)
    items, cursor = page.split(rows, lambda row: row[0].id)
    return WorkspacesPublic(items=[_public(w, role) for w, role in items], next_cursor=cursor)


@router.get("/{workspace_id}", responses=problems(404) | links(200, update_workspace=READ | ETAG))
async def get_workspace(
    workspace_id: UUID, caller: CallerDep, conn: ConnDep, response: Response
) -> WorkspacePublic:
    found = await store.workspace_for(conn, workspace_id, caller.user_id)
    if found is None:
        raise NotFound("no such workspace")
    tag(response, found[0].version)
    return _public(*found)


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
    found = await store.workspace_for(uow.connection, workspace_id, caller.user_id, lock=True)
    if found is None:
        raise NotFound("no such workspace")
    workspace, role = found
    domain.require_role(role, Role.OWNER, "changing the workspace")
    domain.check_if_match(if_match, workspace.version, "workspace")
    workspace, changes = domain.revise(workspace, body.updates(), updated_at=datetime.now(UTC))
    if changes:
        with conflict_on(store.SLUG_CONSTRAINT, f"the slug {workspace.slug!r} is taken"):
            await store.save_workspace(uow.connection, workspace)
        uow.emit(workspace_event(WORKSPACE_UPDATED, workspace, caller.user_id, changes))
        await uow.commit()
    tag(response, workspace.version)
    return _public(workspace, role)
