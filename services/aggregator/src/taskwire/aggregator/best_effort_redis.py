"""Redis as the aggregator uses it: a help, never in the way.

The counts cache and the memory of who may read a project both go without Redis while it fails:
reads go to Postgres, and the projects service is asked every time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis.asyncio as redis

log = logging.getLogger(__name__)
T = TypeVar("T")


class BestEffortRedis:
    """A Redis client whose failures cost one short timeout, then nothing for a while."""

    def __init__(self, url: str, *, timeout: float = 0.25, rest_seconds: float = 2.0) -> None:
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._rest_seconds = rest_seconds
        self._down_until = 0.0

    @property
    def resting(self) -> bool:
        return time.monotonic() < self._down_until

    async def attempt(self, call: Callable[[], Awaitable[T]]) -> T | None:
        """`call()`'s answer, or None when Redis failed now or a moment ago."""
        if self.resting:
            return None
        try:
            return await call()
        except (redis.RedisError, OSError) as exc:
            self._down_until = time.monotonic() + self._rest_seconds
            log.warning("redis unavailable (%s); going without it for a while", exc)
            return None

    async def close(self) -> None:
        await self.client.aclose()
