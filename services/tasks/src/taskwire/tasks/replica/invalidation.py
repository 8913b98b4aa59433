"""Keeps every process's directory honest: what one process changes in the replica, all forget.

A transaction that changes what the directory serves (a project, its statuses, a membership)
announces the entry with `pg_notify` on `CHANNEL`; Postgres delivers it at commit, to every
process LISTENing, the announcing one included. Each follows the channel on a dedicated
connection. A notification sent while that connection was down is lost for good, so losing it
(and establishing it again) clears the whole directory: entries are reloaded from the replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Final
from uuid import UUID

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from taskwire.tasks.replica.directory import Directory

log = logging.getLogger(__name__)

CHANNEL: Final = "taskwire_tasks_directory"
APPLICATION_NAME: Final = "tasks-directory"
# Without traffic a silently dropped connection goes unnoticed; a cheap query every so often
# bounds how long the directory could miss invalidations without knowing it.
PING_SECONDS: Final = 10.0

_ANNOUNCE = text("SELECT pg_notify(:channel, :entry)")


def project_entry(project_id: UUID) -> str:
    return f"project:{project_id}"


def member_entry(workspace_id: UUID, user_id: UUID) -> str:
    return f"member:{workspace_id}:{user_id}"


async def announce(conn: AsyncConnection, entry: str) -> None:
    """Tell every process to forget `entry` once this transaction commits (never if it aborts)."""
    await conn.execute(_ANNOUNCE, {"channel": CHANNEL, "entry": entry})


def forget(directory: Directory, entry: str) -> None:
    """Forget one announced entry; one that cannot be read makes the directory forget all."""
    kind, _, ids = entry.partition(":")
    try:
        if kind == "project":
            directory.forget_project(UUID(ids))
            return
        if kind == "member":
            workspace_id, user_id = ids.split(":")
            directory.forget_member(UUID(workspace_id), UUID(user_id))
            return
    except ValueError:
        pass
    log.warning("unreadable directory invalidation %r; forgetting everything", entry)
    directory.clear()


async def follow_invalidations(
    dsn: str, directory: Directory, *, listening: asyncio.Event | None = None
) -> None:
    """Forget every entry announced on `CHANNEL`, forever; `listening` is set while it listens."""
    listening = listening or asyncio.Event()
    while True:
        conn, lost = await _listen(dsn, directory)
        # Whatever was committed before LISTEN took effect was never heard: start afresh.
        directory.clear()
        listening.set()
        try:
            await _until_lost(conn, lost)
        finally:
            listening.clear()
            directory.clear()
            with contextlib.suppress(Exception):
                await asyncio.shield(conn.close(timeout=2))
        log.warning("lost the directory invalidation feed; cleared the directory, reconnecting")


async def _listen(dsn: str, directory: Directory) -> tuple[asyncpg.Connection, asyncio.Event]:
    """A connection LISTENing on `CHANNEL`, retried with backoff until Postgres answers."""
    lost = asyncio.Event()

    def on_notify(_conn: Any, _pid: int, _channel: str, payload: object) -> None:
        forget(directory, str(payload))

    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type((OSError, asyncpg.PostgresError, asyncpg.InterfaceError)),
        wait=wait_exponential(multiplier=0.1, max=5.0),
        before_sleep=_log_retry,
    ):
        with attempt:
            conn = await asyncpg.connect(
                dsn, server_settings={"application_name": APPLICATION_NAME}
            )
            try:
                conn.add_termination_listener(lambda _conn: lost.set())
                await conn.add_listener(CHANNEL, on_notify)
            except BaseException:
                conn.terminate()
                raise
    return conn, lost


async def _until_lost(conn: asyncpg.Connection, lost: asyncio.Event) -> None:
    while not conn.is_closed():
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that
        # lands as `lost` is set, and the feed would never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PING_SECONDS):
                await lost.wait()
            return
        try:
            await conn.execute("SELECT 1", timeout=PING_SECONDS)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("directory invalidation feed stopped answering: %r", exc)
            return


def _log_retry(state: RetryCallState) -> None:
    log.warning(
        "cannot follow directory invalidations yet (%r); retrying",
        state.outcome.exception() if state.outcome else None,
    )
