"""Alembic environment: runs on a connection given by `migrate.upgrade`, else on its own.

Standalone (`alembic -c services/projects/alembic.ini upgrade head`) it connects to the URL in
the config's attributes, else the settings' database_url (TASKWIRE_PROJECTS_DATABASE_URL).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from taskwire.projects.settings import ProjectsSettings
from taskwire.projects.tables import metadata

config = context.config
target_metadata = metadata


def _database_url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else ProjectsSettings().database_url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    engine = create_async_engine(_database_url(), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _main() -> None:
    if context.is_offline_mode():
        context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    if config.config_file_name is not None:
        from logging.config import fileConfig

        fileConfig(config.config_file_name, disable_existing_loggers=False)
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_standalone())


_main()
