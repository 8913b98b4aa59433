"""The body of every service's alembic `env.py`: run on the given connection, else on its own.

Called by `migrate.Migrations` it runs on the connection in `config.attributes["connection"]`
(inside the migration lock's transaction). Standalone (`alembic -c services/<svc>/alembic.ini
upgrade head`) it connects to `config.attributes["database_url"]`, else the service settings'
database_url (its TASKWIRE_<SERVICE>_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alembic import context
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool


def run_migrations(metadata: MetaData, default_database_url: Callable[[], str]) -> None:
    config = context.config
    url = config.attributes.get("database_url")
    database_url = str(url) if url else default_database_url()

    def on(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()

    async def standalone() -> None:
        engine = create_async_engine(database_url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(on)
        finally:
            await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=database_url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    if config.config_file_name is not None:
        from logging.config import fileConfig

        fileConfig(config.config_file_name, disable_existing_loggers=False)
    connection = config.attributes.get("connection")
    if connection is not None:
        on(connection)
    else:
        asyncio.run(standalone())
