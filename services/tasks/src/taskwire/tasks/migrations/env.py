"""Alembic environment of the tasks service (see taskwire.common.migration_env)."""

from __future__ import annotations

from taskwire.common.migration_env import run_migrations
from taskwire.tasks.settings import TasksSettings
from taskwire.tasks.tables import metadata

run_migrations(metadata, lambda: TasksSettings().database_url)
