"""A workspace's members: list, read one, add (or revive), change a role, remove (or leave)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.auth import CallerDep
from taskwire.common.errors import Conflict, NotFound
from taskwire.common.events.projects import (
    MEMBER_ADDED,
    MEMBER_REMOVED,
    MEMBER_UPDATED,
    MemberState,
    Role,
)
from taskwire.common.openapi import ETAG, links, problems
from taskwire.projects import domain
from taskwire.projects.api.deps import ConnDep, IfMatch, PageDep, UowDep, tag
from taskwire.projects.events import member_event
from taskwire.projects.schemas import MemberCreate, MemberPublic, MembersPublic, MemberUpdate
from taskwire.projects.store import members as store

router = APIRouter(prefix="/workspaces/{workspace_id}/members", tags=["members"])
CREATED = {"workspace_id": "$response.body#/workspace_id", "user_id": "$response.body#/user_id"}
READ = {"workspace_id": "$request.path.workspace_id", "user_id": "$request.path.user_id"}


async def _load(
    conn: AsyncConnection, workspace_id: UUID, caller_id: UUID, target_id: UUID
) -> tuple[Role, MemberState | None, int]:
    """Lock the workspace's membership, then read the caller's role, the target and owners."""
    if not await store.lock_workspace(conn, workspace_id, caller_id):
        raise NotFound("no such workspace")
    found, owners = await store.members_by_id(conn, workspace_id, caller_id, target_id)
    me = found.get(caller_id)
    if me is None or me.removed:
        raise NotFound("no such workspace")
    return me.role, found.get(target_id), owners


def _live(target: MemberState | None) -> MemberState:
    if target is None or target.removed:
        raise NotFound("no such member")
    return target


@router.get("", responses=problems(400, 404))
async def list_members(
    workspace_id: UUID, caller: CallerDep, conn: ConnDep, page: PageDep
) -> MembersPublic:
    rows = await store.members_page(conn, workspace_id, caller.user_id, page.after, page.limit + 1)
    if rows is None:
        raise NotFound("no such workspace")
    items, cursor = page.split(rows, lambda member: member.user_id)
    return MembersPublic(items=[MemberPublic.model_validate(m) for m in items], next_cursor=cursor)


@router.get(
    "/{user_id}",
    responses=problems(404) | links(200, change_member_role=READ | ETAG, remove_member=READ | ETAG),
)
async def get_member(
    workspace_id: UUID, user_id: UUID, caller: CallerDep, conn: ConnDep, response: Response
) -> MemberPublic:
    member = await store.member_for(conn, workspace_id, caller.user_id, user_id)
    if member is None:
        raise NotFound("no such member")
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
    role, target, _ = await _load(uow.connection, workspace_id, caller.user_id, body.user_id)
    domain.require_role(role, Role.ADMIN, "adding members")
    domain.check_owner_grant(role, None, body.role)
    if target is not None and not target.removed:
        raise Conflict("this user is already a member; change their role instead")
    now = datetime.now(UTC)
    profile = body.model_dump(exclude={"user_id"}) | {"removed": False, "updated_at": now}
    member = (
        MemberState(
            workspace_id=workspace_id, user_id=body.user_id, **profile, version=1, created_at=now
        )
        if target is None
        else domain.bump(target, profile)  # a revival: the tombstone's next version
    )
    await store.save_member(uow.connection, member)
    uow.emit(member_event(MEMBER_ADDED, member, caller.user_id))
    await uow.commit()
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
    role, target, owners = await _load(uow.connection, workspace_id, caller.user_id, user_id)
    domain.require_role(role, Role.ADMIN, "changing roles")
    member = _live(target)
    domain.check_if_match(if_match, member.version, "member")
    if body.role is not None:
        domain.check_owner_grant(role, member.role, body.role)
        domain.check_keeps_an_owner(member.role, body.role, owners)
    member, changes = domain.revise(member, body.updates(), updated_at=datetime.now(UTC))
    if changes:
        await store.save_member(uow.connection, member)
        uow.emit(member_event(MEMBER_UPDATED, member, caller.user_id, changes))
        await uow.commit()
    tag(response, member.version)
    return MemberPublic.model_validate(member)


@router.delete("/{user_id}", status_code=204, responses=problems(403, 404, 409, 412))
async def remove_member(
    workspace_id: UUID,
    user_id: UUID,
    caller: CallerDep,
    uow: UowDep,
    if_match: IfMatch = None,
) -> None:
    role, target, owners = await _load(uow.connection, workspace_id, caller.user_id, user_id)
    domain.check_removal(role, caller.user_id, user_id)
    member = _live(target)
    domain.check_if_match(if_match, member.version, "member")
    domain.check_owner_grant(role, member.role, None)
    domain.check_keeps_an_owner(member.role, None, owners)
    member = domain.bump(member, {"removed": True}, updated_at=datetime.now(UTC))
    await store.save_member(uow.connection, member)
    uow.emit(member_event(MEMBER_REMOVED, member, caller.user_id, {"removed": [False, True]}))
    await uow.commit()
