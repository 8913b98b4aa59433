"""A workspace's members: list, read one, add (or revive), change a role, remove (or leave)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from taskwire.common.events.projects import (
    MEMBER_ADDED,
    MEMBER_REMOVED,
    MEMBER_UPDATED,
    MemberState,
    Role,
)
from taskwire.common.outbox import EventUnitOfWork
from taskwire.common.paging import Page
from taskwire.common.problems import Conflict, NotFound
from taskwire.common.versions import check_if_match
from taskwire.projects import domain
from taskwire.projects.events import member_event
from taskwire.projects.store import members as store


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


async def list_members(
    conn: AsyncConnection, workspace_id: UUID, user_id: UUID, page: Page[UUID]
) -> tuple[list[MemberState], UUID | None]:
    """One page of live members, and where the next page starts."""
    rows = await store.members_page(conn, workspace_id, user_id, page.after, page.limit + 1)
    if rows is None:
        raise NotFound("no such workspace")
    return page.split(rows, lambda member: member.user_id)


async def get_member(
    conn: AsyncConnection, workspace_id: UUID, caller_id: UUID, user_id: UUID
) -> MemberState:
    member = await store.member_for(conn, workspace_id, caller_id, user_id)
    if member is None:
        raise NotFound("no such member")
    return member


async def add_member(
    uow: EventUnitOfWork,
    workspace_id: UUID,
    caller_id: UUID,
    *,
    user_id: UUID,
    email: str,
    display_name: str,
    avatar_url: str | None,
    role: Role,
) -> MemberState:
    """A new member, or a removed one back (its tombstone's next version)."""
    caller_role, target, _ = await _load(uow.connection, workspace_id, caller_id, user_id)
    domain.require_role(caller_role, Role.ADMIN, "adding members")
    domain.check_owner_grant(caller_role, None, role)
    if target is not None and not target.removed:
        raise Conflict("this user is already a member; change their role instead")
    now = datetime.now(UTC)
    profile = {
        "email": email,
        "display_name": display_name,
        "avatar_url": avatar_url,
        "role": role,
        "removed": False,
        "updated_at": now,
    }
    member = (
        MemberState(
            workspace_id=workspace_id, user_id=user_id, **profile, version=1, created_at=now
        )
        if target is None
        else domain.bump(target, profile)
    )
    await store.save_member(uow.connection, member)
    uow.emit(member_event(MEMBER_ADDED, member, caller_id))
    await uow.commit()
    return member


async def change_member_role(
    uow: EventUnitOfWork,
    workspace_id: UUID,
    caller_id: UUID,
    user_id: UUID,
    role: Role | None,
    if_match: str | None,
) -> MemberState:
    """`role` None changes nothing (the member is answered as it is)."""
    caller_role, target, owners = await _load(uow.connection, workspace_id, caller_id, user_id)
    domain.require_role(caller_role, Role.ADMIN, "changing roles")
    member = _live(target)
    check_if_match(if_match, member.version, "member")
    if role is None:
        return member
    domain.check_owner_grant(caller_role, member.role, role)
    domain.check_keeps_an_owner(member.role, role, owners)
    member, changes = domain.revise(member, {"role": role}, updated_at=datetime.now(UTC))
    if changes:
        await store.save_member(uow.connection, member)
        uow.emit(member_event(MEMBER_UPDATED, member, caller_id, changes))
        await uow.commit()
    return member


async def remove_member(
    uow: EventUnitOfWork, workspace_id: UUID, caller_id: UUID, user_id: UUID, if_match: str | None
) -> None:
    """Remove a member (an admin's right) or leave (anyone's); the row stays as a tombstone."""
    caller_role, target, owners = await _load(uow.connection, workspace_id, caller_id, user_id)
    domain.check_removal(caller_role, caller_id, user_id)
    member = _live(target)
    check_if_match(if_match, member.version, "member")
    domain.check_owner_grant(caller_role, member.role, None)
    domain.check_keeps_an_owner(member.role, None, owners)
    member = domain.bump(member, {"removed": True}, updated_at=datetime.now(UTC))
    await store.save_member(uow.connection, member)
    uow.emit(member_event(MEMBER_REMOVED, member, caller_id, {"removed": [False, True]}))
    await uow.commit()
