"""An index of every task (deleted ones too) by project and id, for the task-facts walk.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not CONCURRENTLY: migrations run in one transaction under the replicas' advisory lock.
    op.create_index(
        "tasks_project_id",
        "tasks",
        ["project_id", "id"],
        unique=False,
        postgresql_include=["category", "archived_at", "deleted", "version"],
    )


def downgrade() -> None:
    op.drop_index("tasks_project_id", table_name="tasks")
