"""A workspace's members: list, read one, add (or revive), change a role, remove (or leave)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from taskwire.common.auth import CallerDep
from taskwire.common.http import ConnDep, IfMatch, UowDep, tag
from taskwire.common.openapi import ETAG, links, problems
from taskwire.projects.api.deps import PageDep, next_cursor
from taskwire.projects.schemas import MemberCreate, MemberPublic, MembersPublic, MemberUpdate
from taskwire.projects.use_cases import members

router = APIRouter(prefix="/workspaces/{workspace_id}/members", tags=["members"])
CREATED = {"workspace_id": "$response.body#/workspace_id", "user_id": "$response.body#/user_id"}
READ = {"workspace_id": "$request.path.workspace_id", "user_id": "$request.path.user_id"}


@router.get("", responses=problems(400, 404))
async def list_members(
    workspace_id: UUID, caller: CallerDep, conn: ConnDep, page: PageDep
) -> MembersPublic:
    items, after = await members.list_members(conn, workspace_id, caller.user_id, page)
    return MembersPublic(
        items=[MemberPublic.model_validate(m) for m in items], next_cursor=next_cursor(after)
    )


@router.get(
    "/{user_id}",
    responses=problems(404) | links(200, change_member_role=READ | ETAG, remove_member=READ | ETAG),
)
async def get_member(
    workspace_id: UUID, user_id: UUID, caller: CallerDep, conn: ConnDep, response: Response
) -> MemberPublic:
    member = await members.get_member(conn, workspace_id, caller.user_id, user_id)
    tag(response, member.version)
    return MemberPublic.model_validate(member)


@router.post(
    "",
    status_code=201,
    responses=problems(400, 403, 404, 409)
    | links(
        201,
        get_member=CREATED,
        change_member_role=CREATED | ETAG,
        remove_member=CREATED | ETAG,
    ),
)
async def add_member(
    workspace_id: UUID, body: MemberCreate, caller: CallerDep, uow: UowDep, response: Response
) -> MemberPublic:
    member = await members.add_member(uow, workspace_id, caller.user_id, **body.model_dump())
    tag(response, member.version)
    return MemberPublic.model_validate(member)


@router.patch(
    "/{user_id}", responses=problems(400, 403, 404, 409, 412) | links(200, get_member=READ)
)
async def change_member_role(
    workspace_id: UUID,
    user_id: UUID,
    body: MemberUpdate,
    caller: CallerDep,
    uow: UowDep,
    response: Response,
    if_match: IfMatch = None,
) -> MemberPublic:
    member = await members.change_member_role(
        uow, workspace_id, caller.user_id, user_id, body.role, if_match
    )
    tag(response, member.version)
    return MemberPublic.model_validate(member)


@router.delete("/{user_id}", status_code=204, responses=problems(400, 403, 404, 409, 412))
async def remove_member(
    workspace_id: UUID,
    user_id: UUID,
    caller: CallerDep,
    uow: UowDep,
    if_match: IfMatch = None,
) -> None:
    await members.remove_member(uow, workspace_id, caller.user_id, user_id, if_match)
