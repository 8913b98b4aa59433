"""Who may join a room, as the projects service says, remembered in Redis for a short while.

`project:<id>`: whoever may read the project (asked as the caller; the answer names its
workspace). `workspace:<id>`: its members. `user:<id>`: that user alone. A yes is remembered
per workspace and user (taskwire.common.projects_access), so a removal (`member.removed`)
forgets it at once for every room of the workspace; a project's workspace never changes and is
remembered for good.

A removal also moves the membership's generation on. A yes is good only for the generation read
before it was asked for: one that was under way when the removal ran is never remembered, and
a session checks its pass again once it is in the room, where the removal's revoke reaches it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import redis.asyncio as redis

from taskwire.common.auth import Caller
from taskwire.common.projects_access import ProjectsAccess, Refused, StrictRedis
from taskwire.common.service_client import ServiceClient
from taskwire.notifier.domain import Room


class Forbidden(Exception):
    """The caller may not join the room (or it does not exist: the same to them)."""


@dataclass(frozen=True, slots=True)
class Pass:
    """Leave to join a room: its workspace (None for a user room) and the generation of the
    caller's membership the yes was given under."""

    workspace: UUID | None
    generation: int = 0


class Gatekeeper:
    def __init__(
        self, projects: ServiceClient, client: redis.Redis, prefix: str, ttl_seconds: int
    ) -> None:
        self._redis = client
        self._prefix = f"{prefix}notifier:"
        # The notifier cannot work without Redis: a failure is the session's to report.
        self._access = ProjectsAccess(projects, StrictRedis(client), ttl_seconds)

    async def admit(self, caller: Caller, room: Room) -> Pass:
        """A pass to the room, or Forbidden."""
        if room.kind == "user":
            if room.id != caller.user_id:
                raise Forbidden("a user room is its user's alone")
            return Pass(None)
        try:
            if room.kind == "workspace":
                return await self._member(caller, room.id, f"/api/v1/workspaces/{room.id}")
            workspace_id = await self._workspace_of(caller, room.id)
            path = f"/api/v1/workspaces/{workspace_id}/members/{caller.user_id}"
            return await self._member(caller, workspace_id, path)
        except Refused:
            raise Forbidden("not a member of this room's workspace, or no such room") from None

    async def still_valid(self, granted: Pass, user_id: UUID) -> bool:
        """No removal from the pass's workspace since it was given."""
        if granted.workspace is None:
            return True
        generation = self._generation_key(granted.workspace, user_id)
        return await self._access.generation(generation) == granted.generation

    async def removed(self, workspace_id: UUID, user_id: UUID) -> None:
        """The user left the workspace: void every pass given so far, forget the yes, and keep
        them out of its tasks' events in their own user room (tasks may still be assigned to
        them). One transaction: no yes can be read between the new generation and the forgetting."""
        async with self._redis.pipeline(transaction=True) as pipe:
            self._access.forget(
                pipe,
                self._member_key(workspace_id, user_id),
                self._generation_key(workspace_id, user_id),
            )
            pipe.sadd(self._removed_key(workspace_id), str(user_id))
            await pipe.execute()

    async def added(self, workspace_id: UUID, user_id: UUID) -> None:
        await self._redis.srem(self._removed_key(workspace_id), str(user_id))

    async def left(self, members: Iterable[tuple[UUID, UUID]]) -> set[tuple[UUID, UUID]]:
        """Of these (workspace, user) pairs, those whose user was removed from the workspace
        (and not added again): one round trip for them all."""
        asked = list(members)
        async with self._redis.pipeline(transaction=False) as pipe:
            for workspace_id, user_id in asked:
                pipe.sismember(self._removed_key(workspace_id), str(user_id))
            answers = await pipe.execute()
        return {pair for pair, gone in zip(asked, answers, strict=True) if gone}

    async def _workspace_of(self, caller: Caller, project_id: UUID) -> UUID:
        key = f"{self._prefix}project:{project_id}"
        workspace = await self._redis.get(key)
        if workspace is None:
            # This answer only names the workspace: it came before the generation was read.
            found = await self._access.ask(caller, f"/api/v1/projects/{project_id}")
            workspace = found["workspace_id"]
            await self._redis.set(key, str(workspace))
        return UUID(workspace.decode() if isinstance(workspace, bytes) else workspace)

    async def _member(self, caller: Caller, workspace_id: UUID, path: str) -> Pass:
        generation = await self._access.check(
            caller,
            path,
            self._member_key(workspace_id, caller.user_id),
            self._generation_key(workspace_id, caller.user_id),
        )
        return Pass(workspace_id, generation)

    def _removed_key(self, workspace_id: UUID) -> str:
        return f"{self._prefix}removed:{workspace_id}"

    def _generation_key(self, workspace_id: UUID, user_id: UUID) -> str:
        return f"{self._prefix}generation:{workspace_id}:{user_id}"

    def _member_key(self, workspace_id: UUID, user_id: UUID) -> str:
        return f"{self._prefix}member:{workspace_id}:{user_id}"
