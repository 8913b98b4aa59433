"""A service's schema migrations, runnable from its CLI, from tests and from alembic itself.

Each service keeps its alembic scripts inside its package and names them with a `Migrations`
built from `__file__`, so they resolve wherever the package is installed (a clone with
`uv run`, or a wheel in an image), whatever the CWD. The service's `env.py` runs on the
connection found in `config.attributes["connection"]`, else on `attributes["database_url"]`.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from taskwire.common.db import asyncpg_dsn

Step = Callable[[Config, str], None]


class Migrations:
    """One service's alembic scripts (`directory`) and the advisory lock its replicas share.

    Replicas started together migrate one after the other: the second waits for the lock, then
    finds the schema at head and has nothing to do.
    """

    def __init__(self, directory: Path, lock_name: str) -> None:
        self.directory = directory
        self.lock_key = zlib.crc32(lock_name.encode())

    def alembic_config(self, database_url: str) -> Config:
        config = Config()
        config.set_main_option("script_location", str(self.directory).replace("%", "%%"))
        config.attributes["database_url"] = database_url
        return config

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self.alembic_config("")).get_current_head()

    async def current_revision(self, database_url: str) -> str | None:
        engine = create_async_engine(database_url, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
        finally:
            await engine.dispose()

    async def upgrade(self, database_url: str, revision: str = "head") -> None:
        """Bring the database's schema up to `revision`, in one transaction."""
        await self._run(database_url, command.upgrade, revision)

    async def downgrade(self, database_url: str, revision: str) -> None:
        """Take the database's schema down to `revision` ("base": nothing), in one transaction."""
        await self._run(database_url, command.downgrade, revision)

    async def _run(self, database_url: str, step: Step, revision: str) -> None:
        config = self.alembic_config(database_url)
        engine = create_async_engine(database_url, poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": self.lock_key}
                )
                await conn.run_sync(_on_connection, config, step, revision)
        finally:
            await engine.dispose()


def _on_connection(conn: Connection, config: Config, step: Step, revision: str) -> None:
    config.attributes["connection"] = conn
    step(config, revision)


async def ensure_database(database_url: str) -> bool:
    """Create the URL's database when it does not exist (via the server's `postgres` database).

    Returns whether it was created.
    """
    url = make_url(database_url)
    name = url.database
    if not name:
        raise ValueError(f"the database URL names no database: {url!r}")
    conn = await asyncpg.connect(asyncpg_dsn(url.set(database="postgres")))
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        quoted = '"' + name.replace('"', '""') + '"'
        try:
            await conn.execute(f"CREATE DATABASE {quoted}")
        except asyncpg.DuplicateDatabaseError:
            return False  # another process created it in the meantime
        return True
    finally:
        await conn.close()
