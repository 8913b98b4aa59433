"""What the projects service lets a caller see: asked as the caller, a yes remembered in Redis.

Only the projects service keeps workspaces and their members. A service that must know whether a
caller may see a project or a workspace asks it with the caller's own token, so the answer is the
caller's own (a 404 across workspaces too), and remembers a yes for a few seconds, so that a
board polling its counts, or a client joining a room again, does not ask every time. A no is
never remembered: whoever was just let in gets in at once. Remembering for 0 seconds asks every
time.

A yes may be remembered under a generation: a number that moves on with every removal the
service learns of (`forget`). It is kept only if the generation read before asking is still the
current one, so an answer that was under way while a removal ran is never remembered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol, TypeVar

import httpx
import redis.asyncio as redis

from taskwire.common.auth import Caller
from taskwire.common.service_client import ServiceClient

T = TypeVar("T")

# KEYS: generation, yes. ARGV: the generation the yes was asked under, ttl s.
_REMEMBER: Final = """
if (redis.call('GET', KEYS[1]) or '0') == ARGV[1] then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
end
"""

# Far longer than any check takes: a generation only has to outlive the answers read under it.
GENERATION_SECONDS: Final = 86_400


class Refused(Exception):
    """The projects service did not say yes: no such thing, not the caller's to see, or a token
    it does not accept. It has said why in `status_code`."""

    def __init__(self, status_code: int) -> None:
        super().__init__(f"the projects service answered {status_code}")
        self.status_code = status_code


class RedisCalls(Protocol):
    """How a service calls Redis: each call's answer, or None where it goes without Redis."""

    @property
    def client(self) -> redis.Redis: ...

    async def attempt(self, call: Callable[[], Awaitable[T]]) -> T | None: ...


class StrictRedis:
    """Redis for a service that cannot go without it: a failure is raised to whoever called."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def attempt(self, call: Callable[[], Awaitable[T]]) -> T | None:
        return await call()


class ProjectsAccess:
    def __init__(self, projects: ServiceClient, store: RedisCalls, ttl_seconds: int) -> None:
        self._projects = projects
        self._redis = store
        self._ttl = ttl_seconds
        self._remember = store.client.register_script(_REMEMBER)

    async def ask(self, caller: Caller, path: str) -> dict[str, Any]:
        """The projects service's answer to `GET path` as the caller, or Refused; nothing is
        remembered. ServiceUnavailable or TooManyRequests when it cannot answer the caller."""
        found: dict[str, Any] = (await self._answer(caller, path)).json()
        return found

    async def check(
        self, caller: Caller, path: str, key: str, generation_key: str | None = None
    ) -> int:
        """Return if the projects service says yes to `path` for the caller, or said so within
        the time a yes is remembered (under `key`); else Refused. Under a generation, the one
        the yes holds for (0 without one, or without Redis)."""
        known, generation = await self._recall(key, generation_key)
        if self._ttl and known:
            return generation
        await self._answer(caller, path)  # a yes is all a check needs of it
        if self._ttl:
            await self._keep(key, generation_key, generation)
        return generation

    def forget(self, pipe: redis.client.Pipeline, key: str, generation_key: str) -> None:
        """Queue, on the caller's transaction, what voids every yes given under the current
        generation: it moves on, and the yes remembered is dropped."""
        pipe.incr(generation_key)
        pipe.expire(generation_key, GENERATION_SECONDS)
        pipe.delete(key)

    async def generation(self, generation_key: str) -> int:
        current = await self._redis.attempt(lambda: self._redis.client.get(generation_key))
        return int(current or 0)

    async def _answer(self, caller: Caller, path: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {caller.token}"}
        response = await self._projects.request("GET", path, headers=headers)
        if not response.is_success:
            raise Refused(response.status_code)
        return response

    async def _recall(self, key: str, generation_key: str | None) -> tuple[bool, int]:
        """Whether a yes is remembered, and the generation: read together, before anything is
        asked, so that a removal after this shows as a new number."""
        if generation_key is None:
            if not self._ttl:
                return False, 0
            exists = await self._redis.attempt(lambda: self._redis.client.exists(key))
            return bool(exists), 0
        keys = [generation_key, key]
        held = await self._redis.attempt(lambda: self._redis.client.mget(keys))
        generation, known = held or (None, None)
        return known is not None, int(generation or 0)

    async def _keep(self, key: str, generation_key: str | None, generation: int) -> None:
        if generation_key is None:
            await self._redis.attempt(lambda: self._redis.client.set(key, b"1", ex=self._ttl))
            return
        keys = [generation_key, key]
        await self._redis.attempt(lambda: self._remember(keys=keys, args=[generation, self._ttl]))
