"""The schema the migrations build is the one the code describes; the CLI migrates."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from taskwire.projects import migrate
from taskwire.projects.cli import main
from taskwire.projects.tables import metadata
from taskwire.testkit.databases import database_url as url_of
from taskwire.testkit.databases import drop_database
from taskwire.testkit.infra import Infra


def _differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_the_migrated_schema_matches_the_tables_module(database_url: str) -> None:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_differences) == []
    finally:
        await engine.dispose()
    assert await migrate.current_revision(database_url) == migrate.head_revision()


async def test_downgrade_and_upgrade_again(database_url: str) -> None:
    await migrate.downgrade(database_url, "base")
    assert await migrate.current_revision(database_url) is None
    await migrate.upgrade(database_url)
    assert await migrate.current_revision(database_url) == migrate.head_revision()


async def test_replicas_migrating_at_once_both_succeed(empty_database: str) -> None:
    await asyncio.gather(*(migrate.upgrade(empty_database) for _ in range(3)))
    assert await migrate.current_revision(empty_database) == migrate.head_revision()


def test_cli_migrate_creates_the_database_once(
    infra: Infra, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"tw_projects_cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("TASKWIRE_PROJECTS_DATABASE_URL", url_of(infra.postgres_admin_url, name))
    try:
        main(["migrate"])
        first = capsys.readouterr().out
        main(["migrate"])
        second = capsys.readouterr().out
    finally:
        asyncio.run(drop_database(infra.postgres_admin_url, name))
    assert f"database {name!r} created" in first
    assert "schema at nothing; upgrading to 0001" in first
    assert f"database {name!r} exists" in second
    assert "schema at 0001; upgrading to 0001" in second
