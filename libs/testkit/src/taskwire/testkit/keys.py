"""Redis keys under a prefix of a test's or a benchmark's own, removed once it is done."""

from __future__ import annotations

import redis.asyncio as redis


async def forget_keys(url: str, prefix: str) -> None:
    """Remove every key under `prefix` (a service's `redis_key_prefix`)."""
    store = redis.Redis.from_url(url)
    keys = [key async for key in store.scan_iter(match=f"{prefix}*")]
    if keys:
        await store.delete(*keys)
    await store.aclose()
