"""This service's schema migrations (scripts inside the package, so they ship with it)."""

from __future__ import annotations

from pathlib import Path

from taskwire.common.migrate import Migrations

MIGRATIONS = Migrations(Path(__file__).parent / "migrations", "taskwire.aggregator.migrations")
upgrade = MIGRATIONS.upgrade
downgrade = MIGRATIONS.downgrade
