"""The repair writes only what is newer than the replica, as the events do: it never undoes a
newer event, it removes whom the projects service has no trace of, and the directory forgets
what it changed at once. The roster is a test's own (the projects service's is in
test_replica_repair.py)."""

from __future__ import annotations

from uuid import UUID

from taskwire.common.events.projects import MEMBER_ADDED, MEMBER_UPDATED, MemberState, Role
from taskwire.projects.events import member_event
from taskwire.tasks.replica.repair import MembersRepair
from taskwire.testkit.users import Users
from tests.integration.tasks.replica_helpers import ACTOR, ReplicaDb, member_state, workspace_state


class Roster:
    def __init__(self, *members: MemberState) -> None:
        self.members = list(members)

    async def roster(self, workspace_id: UUID) -> list[MemberState]:
        return [m for m in self.members if m.workspace_id == workspace_id]


async def test_the_repair_keeps_what_is_newer_and_removes_what_is_gone(
    db: ReplicaDb, users: Users
) -> None:
    ada, bob, cat, dan, eve, fay = (users(n) for n in ("ada", "bob", "cat", "dan", "eve", "fay"))
    ws = workspace_state().id
    await db.apply(
        member_event(MEMBER_ADDED, member_state(ws, ada, Role.OWNER), ACTOR),
        member_event(MEMBER_UPDATED, member_state(ws, bob, Role.ADMIN, version=3), ACTOR),
        member_event(MEMBER_ADDED, member_state(ws, cat), ACTOR),
        member_event(MEMBER_ADDED, member_state(ws, dan, version=2), ACTOR),
    )
    assert await db.directory.member(ws, cat.id) is not None  # cached
    roster = Roster(
        member_state(ws, ada, Role.OWNER),
        member_state(ws, bob, version=2, removed=True),  # older than the replica's
        member_state(ws, cat, version=2, removed=True),  # the removal the replica missed
        member_state(ws, eve),  # an addition it missed
        member_state(ws, fay, version=2, removed=True),  # someone it never knew
    )  # and no trace of dan

    repaired = await MembersRepair(db.engine, roster, db.directory).workspace(ws)

    assert (repaired.saved, repaired.dropped) == (2, 1)
    held = await db.rows(
        "SELECT user_id, role, removed, version FROM members WHERE workspace_id = :ws", ws=ws
    )
    assert {r["user_id"]: (r["role"], r["removed"], r["version"]) for r in held} == {
        ada.id: ("owner", False, 1),
        bob.id: ("admin", False, 3),
        cat.id: ("member", True, 2),
        dan.id: ("member", True, 0),
        eve.id: ("member", False, 1),
    }
    assert await db.directory.member(ws, cat.id) is None, "forgotten at once"
    assert await db.directory.member(ws, dan.id) is None
    assert await db.directory.member(ws, eve.id) is not None

    # Dan back in the projects service: any version of his is newer than the repair's.
    roster.members.append(member_state(ws, dan))
    await db.apply(member_event(MEMBER_ADDED, member_state(ws, dan), ACTOR))
    assert await db.directory.member(ws, dan.id) is not None


async def test_a_member_added_while_the_roster_was_read_is_not_dropped(
    db: ReplicaDb, users: Users
) -> None:
    ada, bob = users("ada"), users("bob")
    ws = workspace_state().id
    await db.apply(member_event(MEMBER_ADDED, member_state(ws, ada, Role.OWNER), ACTOR))

    class Late(Roster):
        async def roster(self, workspace_id: UUID) -> list[MemberState]:
            # Bob's event is applied after the repair read the replica, before it answers.
            listed = await super().roster(workspace_id)
            await db.apply(member_event(MEMBER_ADDED, member_state(ws, bob), ACTOR))
            return listed

    late = Late(member_state(ws, ada, Role.OWNER))
    repaired = await MembersRepair(db.engine, late, db.directory).workspace(ws)

    assert (repaired.saved, repaired.dropped) == (0, 0)
    assert await db.directory.member(ws, bob.id) is not None
