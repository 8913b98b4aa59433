"""The projects service's schema migrations: the scripts in `migrations/`, under their own lock."""

from __future__ import annotations

from pathlib import Path

from taskwire.common.migrate import Migrations, ensure_database

MIGRATIONS = Migrations(Path(__file__).parent / "migrations", "taskwire.projects.migrations")

upgrade = MIGRATIONS.upgrade
downgrade = MIGRATIONS.downgrade
current_revision = MIGRATIONS.current_revision
head_revision = MIGRATIONS.head_revision

__all__ = [
    "MIGRATIONS",
    "current_revision",
    "downgrade",
    "ensure_database",
    "head_revision",
    "upgrade",
]
