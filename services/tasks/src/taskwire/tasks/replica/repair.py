"""Repairs the replica of a workspace's members from the projects service's roster.

Events keep the replica fresh, but one that never arrives (a `member.removed` dead-lettered, or
lost to an outage past its delivery limit) would leave it wrong for good, and every request is
authorised against it: a removed member would keep their access. The repair reads the
workspace's whole roster (tombstones included, with versions) and writes what is newer than the
replica with the versioned upserts the events use, so it never undoes a newer event; a row the
projects service does not have at all is marked removed. Every process forgets the entries it
changed (this one at once, the others by the announcement), so the next request sees the repair.

It runs on demand (the internal route) and by itself: `sweep` repairs one workspace per
interval, round and round, a bounded load on both services whatever their size.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskwire.common.events.projects import MemberState
from taskwire.tasks.replica import rows
from taskwire.tasks.replica.directory import Directory
from taskwire.tasks.replica.invalidation import announce, forget, member_entry
from taskwire.tasks.tables import members

log = logging.getLogger(__name__)


class Roster(Protocol):
    async def roster(self, workspace_id: UUID) -> list[MemberState]:
        """Every member row the projects service holds for the workspace, removed ones too."""


@dataclass(frozen=True, slots=True)
class Repaired:
    workspace_id: UUID
    saved: int  # rows the roster held newer than the replica
    dropped: int  # live rows the projects service has no trace of


_HELD = text("SELECT user_id, version, removed FROM members WHERE workspace_id = :workspace_id")
# Version 0: any state the projects service gives later is newer. Only if the row is still what
# was read before the roster was asked: a member added meanwhile (its event applied between the
# two) is not one the roster could have listed.
_DROP = text(
    """
    UPDATE members SET removed = true, version = 0
    WHERE workspace_id = :workspace_id AND user_id = :user_id AND version = :version
      AND removed IS false
    RETURNING user_id
    """
)


class MembersRepair:
    def __init__(self, engine: AsyncEngine, roster: Roster, directory: Directory | None) -> None:
        self._engine = engine
        self._roster = roster
        self._directory = directory

    async def workspace(self, workspace_id: UUID) -> Repaired:
        """Bring the replica of the workspace's members to the projects service's roster."""
        async with self._engine.connect() as conn:
            held = {
                r.user_id: (r.version, r.removed)
                for r in await conn.execute(_HELD, {"workspace_id": workspace_id})
            }
        truth = await self._roster.roster(workspace_id)
        newer = [m for m in truth if _behind(held.get(m.user_id), m)]
        listed = {m.user_id for m in truth}
        gone = [(u, v) for u, (v, removed) in held.items() if u not in listed and not removed]
        changed: list[str] = []
        async with self._engine.begin() as conn:
            for member in newer:
                if await rows.save_member(conn, member):
                    changed.append(member_entry(workspace_id, member.user_id))
            saved = len(changed)
            for user_id, version in gone:
                params = {"workspace_id": workspace_id, "user_id": user_id, "version": version}
                if (await conn.execute(_DROP, params)).first() is not None:
                    changed.append(member_entry(workspace_id, user_id))
            for entry in changed:
                await announce(conn, entry)
        if self._directory is not None:
            for entry in changed:
                forget(self._directory, entry)
        if changed:
            log.warning(
                "replica of workspace %s members repaired: %d rows were behind the projects"
                " service, %d it no longer has",
                workspace_id,
                saved,
                len(changed) - saved,
            )
        return Repaired(workspace_id, saved, len(changed) - saved)

    async def sweep(self, every_seconds: float) -> None:
        """Repair one workspace (of those the replica has members of) every `every_seconds`,
        in id order, starting over after the last; forever."""
        after: UUID | None = None
        while True:
            await asyncio.sleep(every_seconds)
            after = await self._next_workspace(after) or await self._next_workspace(None)
            if after is None:
                continue
            try:
                await self.workspace(after)
            except Exception as exc:  # the projects service away, say: the next turn comes
                log.warning("could not repair the replica of workspace %s: %r", after, exc)

    async def _next_workspace(self, after: UUID | None) -> UUID | None:
        # Along the primary key's index: one row read, however many members.
        query = select(members.c.workspace_id).order_by(members.c.workspace_id).limit(1)
        if after is not None:
            query = query.where(members.c.workspace_id > after)
        async with self._engine.connect() as conn:
            found: UUID | None = await conn.scalar(query)
        return found


def _behind(held: tuple[int, bool] | None, member: MemberState) -> bool:
    """Whether the replica's row (version, removed) is older than the roster's `member`."""
    if held is None:
        # A member added whose event never came; a tombstone of someone the replica never held
        # changes nobody's access.
        return not member.removed
    return member.version > held[0]
