"""Idempotent creates: a POST retried with the same `Idempotency-Key` answers the first response.

The key's row is written by the create's own statement (`store.create`), with the answer: the
task and the answer that announced it exist together or not at all. A retry of a finished request
violates the key's primary key, so its whole statement (task, number, event) rolls back, and the
stored answer is replayed; the same key with a different request answers 422. Two concurrent
requests with one key are ordered by that primary key: the second waits for the first, fails and
replays it. Keys are per caller, kept `idempotency_retention_seconds`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any, Final
from uuid import UUID

import orjson
from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taskwire.common.problems import Unprocessable
from taskwire.tasks.settings import TasksSettings
from taskwire.tasks.tables import idempotency_keys

log = logging.getLogger(__name__)

KEY_CONSTRAINT: Final = "idempotency_keys_pkey"
PURGE_EVERY_SECONDS: Final = 300.0
PURGE_BATCH: Final = 5_000


@dataclass(frozen=True, slots=True)
class Claim:
    """A request's claim on its key: what identifies the request, and its answer to store."""

    user_id: UUID
    key: str
    fingerprint: bytes
    response: dict[str, Any] = field(default_factory=dict)


class KeyTaken(Exception):
    """The key was claimed before (by this request's first attempt, or by another request)."""

    def __init__(self, claim: Claim) -> None:
        super().__init__(f"idempotency key {claim.key!r} was used before")
        self.claim = claim


def fingerprint(*request: Any) -> bytes:
    """What makes two requests the same one: a digest of their canonical JSON."""
    canonical = orjson.dumps(request, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).digest()


async def first_answer(conn: AsyncConnection, claim: Claim) -> Any:
    """The stored answer of the request that first used the claim's key, or None if none did;
    422 when that was another request."""
    stmt = select(idempotency_keys.c.fingerprint, idempotency_keys.c.response).where(
        idempotency_keys.c.user_id == claim.user_id, idempotency_keys.c.key == claim.key
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    if bytes(row.fingerprint) != claim.fingerprint:
        raise Unprocessable(
            "this Idempotency-Key was used for a different request; use a new key for this one",
            idempotency_key=claim.key,
        )
    return row.response


async def purge_expired_keys(engine: AsyncEngine, settings: TasksSettings) -> None:
    """Forever: delete keys older than the retention, every few minutes, in small batches (so
    no statement holds many row locks or runs long)."""
    retention = float(settings.idempotency_retention_seconds)
    while True:
        try:
            await purge_expired(engine, retention)
        except Exception:
            # The database may be away for a moment; the next round tries again.
            log.warning("purging expired idempotency keys failed", exc_info=True)
        await asyncio.sleep(min(PURGE_EVERY_SECONDS, retention / 4))


async def purge_expired(engine: AsyncEngine, retention: float) -> int:
    """Delete the keys older than `retention` seconds; how many there were."""
    cutoff = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, retention)
    expired = (
        select(idempotency_keys.c.user_id, idempotency_keys.c.key)
        .where(idempotency_keys.c.created_at < cutoff)
        .limit(PURGE_BATCH)
    )
    total = 0
    while True:
        async with engine.begin() as conn:
            result = await conn.execute(
                delete(idempotency_keys).where(
                    tuple_(idempotency_keys.c.user_id, idempotency_keys.c.key).in_(expired)
                )
            )
        total += result.rowcount
        if result.rowcount < PURGE_BATCH:
            return total
