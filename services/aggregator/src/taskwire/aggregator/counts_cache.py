"""Counts in Redis, for fast reads: best effort, never in the way.

Written after each commit by a background writer that keeps only the newest counts per project
and writes them with a version check (an older write never replaces a newer one). While Redis
fails, reads go to Postgres and the writer keeps what it could not write until Redis answers;
entries expire, which bounds how long a value that missed an update (a crash in between) shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Final
from uuid import UUID

import orjson

from taskwire.aggregator import domain
from taskwire.aggregator.best_effort_redis import BestEffortRedis
from taskwire.aggregator.domain import ProjectCounts

# KEYS[1] the entry; ARGV: version, body, ttl. Keeps the newer of the stored and the offered.
_PUT_NEWER: Final = """
local held = redis.call('HGET', KEYS[1], 'v')
if held and tonumber(held) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'body', ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""


def render(row: ProjectCounts) -> bytes:
    """The counts route's answer (its CountsPublic), as the cache keeps it."""
    return orjson.dumps(
        {
            "project_id": str(row.project_id),
            "counts": row.counts.model_dump(),
            "derived_status": domain.derived_status(row.counts),
            "counts_version": row.version,
        }
    )


class CountsCache:
    def __init__(self, store: BestEffortRedis, prefix: str, ttl_seconds: int) -> None:
        self._redis = store
        self._prefix = f"{prefix}aggregator:counts:"
        self._ttl = ttl_seconds
        self._put_newer = store.client.register_script(_PUT_NEWER)
        self._dirty: dict[UUID, ProjectCounts] = {}
        self._wake = asyncio.Event()

    def offer(self, rows: Iterable[ProjectCounts]) -> None:
        """Queue counts for writing (called after a commit: never blocks, never fails)."""
        for row in rows:
            held = self._dirty.get(row.project_id)
            if held is None or held.version < row.version:
                self._dirty[row.project_id] = row
        if self._dirty:
            self._wake.set()

    async def get(self, project_id: UUID) -> bytes | None:
        """The cached answer for a project's counts, or None (absent, or Redis unavailable)."""
        key = self._prefix + str(project_id)
        found: bytes | None = await self._redis.attempt(
            lambda: self._redis.client.hget(key, "body")  # type: ignore[arg-type,return-value]
        )
        return found

    async def put(self, row: ProjectCounts, body: bytes) -> bool:
        key = self._prefix + str(row.project_id)
        done = await self._redis.attempt(
            lambda: self._put_newer(keys=[key], args=[row.version, body, self._ttl])
        )
        return done is not None

    async def flush(self) -> bool:
        """Write what is queued; False (the rest kept queued) when Redis refused some of it."""
        pending, self._dirty = self._dirty, {}
        unwritten = [row for row in pending.values() if not await self.put(row, render(row))]
        self.offer(unwritten)
        return not unwritten

    async def run(self, every: float = 0.05) -> None:
        """Write queued counts until cancelled, at most every `every` seconds: under load a
        project's counts change with every batch, and only the newest are worth a write. What
        Redis refused is tried again a second later."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            written = await self.flush()
            await asyncio.sleep(every if written else 1.0)
