"""Who is connected, across every notifier process: connections per user (for the limit) and
presence per room, in Redis sorted sets whose scores are expiry times. Each process refreshes
its own entries; those of a process that died expire by themselves."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Final
from uuid import UUID

import redis.asyncio as redis

# KEYS: the user's connections. ARGV: connection, expiry ms, now ms, limit. 1 if admitted.
_CONNECT: Final = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
"""

LEASE_SECONDS: Final = 60.0


class Registry:
    def __init__(self, client: redis.Redis, prefix: str, per_user: int) -> None:
        self._redis = client
        self._users = f"{prefix}notifier:connections:"
        self._rooms = f"{prefix}notifier:presence:"
        self._per_user = per_user
        self._connect = client.register_script(_CONNECT)

    async def connect(self, user_id: UUID, connection: str) -> bool:
        """Count a connection of the user; False when the user has too many already."""
        now = _now_ms()
        admitted = await self._connect(
            keys=[f"{self._users}{user_id}"],
            args=[connection, now + int(LEASE_SECONDS * 1000), now, self._per_user],
        )
        return bool(admitted)

    async def disconnect(self, user_id: UUID, connection: str) -> None:
        await self._redis.zrem(f"{self._users}{user_id}", connection)

    async def enter(self, room: str, user_id: UUID, connection: str) -> None:
        key = f"{self._rooms}{room}"
        expiry = _now_ms() + int(LEASE_SECONDS * 1000)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {f"{user_id}|{connection}": expiry})
            pipe.pexpireat(key, expiry)
            await pipe.execute()

    async def leave(self, room: str, user_id: UUID, connection: str) -> None:
        await self._redis.zrem(f"{self._rooms}{room}", f"{user_id}|{connection}")

    async def present(self, room: str) -> list[str]:
        """The users with a live connection in the room."""
        members = await self._redis.zrangebyscore(f"{self._rooms}{room}", _now_ms(), "+inf")
        return sorted({_text(m).split("|", 1)[0] for m in members})

    async def refresh(self, entries: Iterable[tuple[UUID, str, list[str]]]) -> None:
        """Extend the leases of this process's connections: (user, connection, rooms)."""
        expiry = _now_ms() + int(LEASE_SECONDS * 1000)
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id, connection, rooms in entries:
                pipe.zadd(f"{self._users}{user_id}", {connection: expiry}, xx=True)
                pipe.pexpireat(f"{self._users}{user_id}", expiry)
                for room in rooms:
                    pipe.zadd(f"{self._rooms}{room}", {f"{user_id}|{connection}": expiry}, xx=True)
                    pipe.pexpireat(f"{self._rooms}{room}", expiry)
            await pipe.execute()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
