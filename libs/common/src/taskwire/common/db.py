"""Async SQLAlchemy on asyncpg, and a unit of work that rolls back unless committed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from taskwire.common.settings import DatabaseSettings

log = logging.getLogger(__name__)


def create_engine(settings: DatabaseSettings, **overrides: Any) -> AsyncEngine:
    options: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_pre_ping": settings.db_pool_pre_ping,
        "pool_recycle": settings.db_pool_recycle_seconds,
        "pool_timeout": settings.db_pool_timeout_seconds,
        # Failures are logged; the values a statement was given are the users' data.
        "hide_parameters": True,
        "connect_args": {
            "server_settings": {
                "application_name": settings.service_name,
                "statement_timeout": str(settings.db_statement_timeout_ms),
            }
        },
    }
    options.update(overrides)
    return create_async_engine(settings.database_url, **options)


def asyncpg_dsn(database_url: str | URL) -> str:
    """The plain libpq DSN asyncpg understands, from a SQLAlchemy URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class UnitOfWork:
    """One transaction per use case.

    Leaving the block without `commit()` rolls everything back, including the outbox rows, so an
    error can never leave an entity written without its event or an event without its entity.
    Hooks registered with `after_commit` run only once the commit has succeeded.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._after_commit: list[Callable[[], None]] = []
        self._before_commit: list[Callable[[AsyncConnection], Any]] = []

    async def __aenter__(self) -> Self:
        # Hooks belong to one block: a block that rolled back must not leave its hooks behind for
        # the next block on the same unit of work.
        self._after_commit = []
        self._before_commit = []
        conn = await self._engine.connect()
        try:
            await conn.begin()
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        self._after_commit = []
        self._before_commit = []
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await conn.close()

    @property
    def connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its `async with` block")
        return self._conn

    def before_commit(self, hook: Callable[[AsyncConnection], Any]) -> None:
        """Run `await hook(connection)` inside the transaction, just before it commits."""
        self._before_commit.append(hook)

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run `hook()` once the transaction has committed (never if it rolls back)."""
        self._after_commit.append(hook)

    async def commit(self) -> None:
        conn = self.connection
        for before in self._before_commit:
            await before(conn)
        self._before_commit.clear()
        await conn.commit()
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            # The change is committed: a failing hook (a wake-up, a cache) must neither stop the
            # others nor make the caller believe the use case failed and retry it.
            try:
                hook()
            except Exception:
                log.exception("after-commit hook %r failed", hook)
