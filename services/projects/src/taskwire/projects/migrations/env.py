"""Alembic environment of the projects service (see taskwire.common.migration_env)."""

from __future__ import annotations

from taskwire.common.migration_env import run_migrations
from taskwire.projects.settings import ProjectsSettings
from taskwire.projects.tables import metadata

run_migrations(metadata, lambda: ProjectsSettings().database_url)
