"""Alembic environment of the aggregator service (see taskwire.common.migration_env)."""

from __future__ import annotations

from taskwire.aggregator.settings import AggregatorSettings
from taskwire.aggregator.tables import metadata
from taskwire.common.migration_env import run_migrations

run_migrations(metadata, lambda: AggregatorSettings().database_url)
