"""Schema migrations, runnable from the CLI, from tests and from alembic itself.

The migration scripts live inside the package, so they resolve from `__file__` wherever the
package is installed (a clone with `uv run`, or a wheel in an image), whatever the CWD.
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

MIGRATIONS = Path(__file__).parent / "migrations"
# Replicas started together (`taskwire-projects run`) migrate one after the other: the second
# waits for this lock, then finds the schema at head and has nothing to do.
MIGRATION_LOCK = zlib.crc32(b"taskwire.projects.migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["database_url"] = database_url
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


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


async def current_revision(database_url: str) -> str | None:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


async def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database's schema up to `revision`, in one transaction."""
    await _run(database_url, command.upgrade, revision)


async def downgrade(database_url: str, revision: str) -> None:
    """Take the database's schema down to `revision` ("base": nothing), in one transaction."""
    await _run(database_url, command.downgrade, revision)


async def _run(database_url: str, step: Callable[[Config, str], None], revision: str) -> None:
    config = alembic_config(database_url)
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await conn.run_sync(_on_connection, config, step, revision)
    finally:
        await engine.dispose()


def _on_connection(
    conn: Connection, config: Config, step: Callable[[Config, str], None], revision: str
) -> None:
    config.attributes["connection"] = conn
    step(config, revision)
