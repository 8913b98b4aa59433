"""Who may join a room, as the projects service says, remembered in Redis for a short while.

`project:<id>`: whoever may read the project (asked as the caller; the answer names its
workspace). `workspace:<id>`: its members. `user:<id>`: that user alone. A yes is remembered
per workspace and user, so a removal (`member.removed`) forgets it at once for every room of
the workspace; a project's workspace never changes and is remembered for good.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import redis.asyncio as redis

from taskwire.common.auth import Caller
from taskwire.common.service_client import ServiceClient
from taskwire.notifier.rooms import Room


class Forbidden(Exception):
    """The caller may not join the room (or it does not exist: the same to them)."""


class Gatekeeper:
    def __init__(
        self, projects: ServiceClient, client: redis.Redis, prefix: str, ttl_seconds: int
    ) -> None:
        self._projects = projects
        self._redis = client
        self._prefix = f"{prefix}notifier:"
        self._ttl = ttl_seconds

    async def admit(self, caller: Caller, room: Room) -> UUID | None:
        """The workspace the room belongs to (None for a user room), or Forbidden."""
        if room.kind == "user":
            if room.id != caller.user_id:
                raise Forbidden("a user room is its user's alone")
            return None
        if room.kind == "workspace":
            await self._member(caller, room.id, f"/api/v1/workspaces/{room.id}")
            return room.id
        workspace = await self._redis.get(f"{self._prefix}project:{room.id}")
        if workspace is None:
            found = await self._ask(caller, f"/api/v1/projects/{room.id}")
            workspace_id = UUID(found["workspace_id"])
            await self._redis.set(f"{self._prefix}project:{room.id}", str(workspace_id))
            await self._remember(workspace_id, caller.user_id)
            return workspace_id
        workspace_id = UUID(workspace.decode() if isinstance(workspace, bytes) else workspace)
        path = f"/api/v1/workspaces/{workspace_id}/members/{caller.user_id}"
        await self._member(caller, workspace_id, path)
        return workspace_id

    async def removed(self, workspace_id: UUID, user_id: UUID) -> None:
        """The user left the workspace: forget the yes, and keep them out of its tasks'
        events in their own user room (tasks may still be assigned to them)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.delete(self._member_key(workspace_id, user_id))
            pipe.sadd(self._removed_key(workspace_id), str(user_id))
            await pipe.execute()

    async def added(self, workspace_id: UUID, user_id: UUID) -> None:
        await self._redis.srem(self._removed_key(workspace_id), str(user_id))

    async def has_left(self, workspace_id: UUID, user_id: UUID) -> bool:
        return bool(await self._redis.sismember(self._removed_key(workspace_id), str(user_id)))

    def _removed_key(self, workspace_id: UUID) -> str:
        return f"{self._prefix}removed:{workspace_id}"

    async def _member(self, caller: Caller, workspace_id: UUID, path: str) -> None:
        if self._ttl and await self._redis.exists(self._member_key(workspace_id, caller.user_id)):
            return
        await self._ask(caller, path)
        await self._remember(workspace_id, caller.user_id)

    async def _remember(self, workspace_id: UUID, user_id: UUID) -> None:
        if self._ttl:
            await self._redis.set(self._member_key(workspace_id, user_id), b"1", ex=self._ttl)

    def _member_key(self, workspace_id: UUID, user_id: UUID) -> str:
        return f"{self._prefix}member:{workspace_id}:{user_id}"

    async def _ask(self, caller: Caller, path: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {caller.token}"}
        response = await self._projects.request("GET", path, headers=headers)
        if not response.is_success:
            raise Forbidden("not a member of this room's workspace, or no such room")
        found: dict[str, Any] = response.json()
        return found
