"""Who may join a room, as the projects service says, remembered in Redis for a short while.

`project:<id>`: whoever may read the project (asked as the caller; the answer names its
workspace). `workspace:<id>`: its members. `user:<id>`: that user alone. A yes is remembered
per workspace and user, so a removal (`member.removed`) forgets it at once for every room of
the workspace; a project's workspace never changes and is remembered for good.

A removal also moves the membership's generation on. A yes is good only for the generation read
before it was asked for: one that was under way when the removal ran is never remembered, and
a session checks its pass again once it is in the room, where the removal's revoke reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

import redis.asyncio as redis

from taskwire.common.auth import Caller
from taskwire.common.service_client import ServiceClient
from taskwire.notifier.rooms import Room

# KEYS: generation, member. ARGV: generation the yes was asked under, ttl s. A yes is remembered
# only if no removal came in between.
_REMEMBER: Final = """
if (redis.call('GET', KEYS[1]) or '0') == ARGV[1] then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
end
"""

# Far longer than any subscribe takes: a generation only has to outlive the passes read from it.
GENERATION_SECONDS: Final = 86_400


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
        self._projects = projects
        self._redis = client
        self._prefix = f"{prefix}notifier:"
        self._ttl = ttl_seconds
        self._remember = client.register_script(_REMEMBER)

    async def admit(self, caller: Caller, room: Room) -> Pass:
        """A pass to the room, or Forbidden."""
        if room.kind == "user":
            if room.id != caller.user_id:
                raise Forbidden("a user room is its user's alone")
            return Pass(None)
        if room.kind == "workspace":
            return await self._member(caller, room.id, f"/api/v1/workspaces/{room.id}")
        workspace = await self._redis.get(f"{self._prefix}project:{room.id}")
        if workspace is None:
            # This answer only names the workspace: it came before the generation was read.
            found = await self._ask(caller, f"/api/v1/projects/{room.id}")
            workspace = found["workspace_id"]
            await self._redis.set(f"{self._prefix}project:{room.id}", str(workspace))
        workspace_id = UUID(workspace.decode() if isinstance(workspace, bytes) else workspace)
        path = f"/api/v1/workspaces/{workspace_id}/members/{caller.user_id}"
        return await self._member(caller, workspace_id, path)

    async def still_valid(self, granted: Pass, user_id: UUID) -> bool:
        """No removal from the pass's workspace since it was given."""
        if granted.workspace is None:
            return True
        current = await self._redis.get(self._generation_key(granted.workspace, user_id))
        return int(current or 0) == granted.generation

    async def removed(self, workspace_id: UUID, user_id: UUID) -> None:
        """The user left the workspace: void every pass given so far, forget the yes, and keep
        them out of its tasks' events in their own user room (tasks may still be assigned to
        them). One transaction: no yes can be read between the new generation and the forgetting."""
        generation = self._generation_key(workspace_id, user_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(generation)
            pipe.expire(generation, GENERATION_SECONDS)
            pipe.delete(self._member_key(workspace_id, user_id))
            pipe.sadd(self._removed_key(workspace_id), str(user_id))
            await pipe.execute()

    async def added(self, workspace_id: UUID, user_id: UUID) -> None:
        await self._redis.srem(self._removed_key(workspace_id), str(user_id))

    async def has_left(self, workspace_id: UUID, user_id: UUID) -> bool:
        return bool(await self._redis.sismember(self._removed_key(workspace_id), str(user_id)))

    def _removed_key(self, workspace_id: UUID) -> str:
        return f"{self._prefix}removed:{workspace_id}"

    async def _member(self, caller: Caller, workspace_id: UUID, path: str) -> Pass:
        keys = [
            self._generation_key(workspace_id, caller.user_id),
            self._member_key(workspace_id, caller.user_id),
        ]
        # Read together, before anything is asked: a removal after this shows as a new number.
        generation, known = await self._redis.mget(keys)
        granted = Pass(workspace_id, int(generation or 0))
        if self._ttl and known:
            return granted
        await self._ask(caller, path)
        if self._ttl:
            await self._remember(keys=keys, args=[granted.generation, self._ttl])
        return granted

    def _generation_key(self, workspace_id: UUID, user_id: UUID) -> str:
        return f"{self._prefix}generation:{workspace_id}:{user_id}"

    def _member_key(self, workspace_id: UUID, user_id: UUID) -> str:
        return f"{self._prefix}member:{workspace_id}:{user_id}"

    async def _ask(self, caller: Caller, path: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {caller.token}"}
        response = await self._projects.request("GET", path, headers=headers)
        if not response.is_success:
            raise Forbidden("not a member of this room's workspace, or no such room")
        found: dict[str, Any] = response.json()
        return found
