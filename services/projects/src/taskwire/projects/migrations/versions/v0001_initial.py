"""Workspaces, members, projects, statuses and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from taskwire.common.outbox import drop_notify_trigger_ddl, notify_trigger_ddl

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = "('owner', 'admin', 'member', 'viewer')"
CATEGORIES = "('todo', 'in_progress', 'in_review', 'issue', 'done')"
NOT_REMOVED = sa.text("removed IS false")
NOT_DELETED = sa.text("deleted IS false")


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("slug", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("slug", name="workspaces_slug_key"),
    )
    op.create_table(
        "members",
        sa.Column("workspace_id", sa.Uuid, sa.ForeignKey("workspaces.id"), primary_key=True),
        sa.Column("user_id", sa.Uuid, primary_key=True),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("avatar_url", sa.Text),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("removed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer, nullable=False),
        *_timestamps(),
        sa.CheckConstraint(f"role IN {ROLES}", name="members_role"),
    )
    op.create_index(
        "members_user_workspaces",
        "members",
        ["user_id", "workspace_id"],
        postgresql_where=NOT_REMOVED,
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("workspace_id", sa.Uuid, sa.ForeignKey("workspaces.id"), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("archived_at", sa.DateTime(timezone=True)),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("derived_status", sa.Text, nullable=False, server_default="todo"),
        sa.Column("counts", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("counts_version", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("derived_status_version", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("version", sa.Integer, nullable=False),
        *_timestamps(),
        sa.CheckConstraint(f"derived_status IN {CATEGORIES}", name="projects_derived_status"),
    )
    op.create_index(
        "projects_workspace_live",
        "projects",
        ["workspace_id", "id"],
        postgresql_where=NOT_DELETED,
    )
    op.create_index(
        "projects_workspace_key",
        "projects",
        ["workspace_id", "key"],
        unique=True,
        postgresql_where=NOT_DELETED,
    )
    op.create_table(
        "statuses",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("project_id", sa.Uuid, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("workspace_id", sa.Uuid, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer, nullable=False),
        *_timestamps(),
        sa.CheckConstraint(f"category IN {CATEGORIES}", name="statuses_category"),
    )
    op.create_index(
        "statuses_project_board",
        "statuses",
        ["project_id", "position"],
        postgresql_where=NOT_DELETED,
    )
    _create_outbox()


def _create_outbox() -> None:
    """The transactional outbox as taskwire.common.outbox.outbox_table defines it today."""
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("id", sa.Uuid, nullable=False, unique=True),
        sa.Column("routing_key", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
    )
    op.create_index(
        "outbox_unpublished_seq", "outbox", ["seq"], postgresql_where=sa.text("published_at IS NULL")
    )
    op.create_index(
        "outbox_published_at",
        "outbox",
        ["published_at"],
        postgresql_where=sa.text("published_at IS NOT NULL"),
    )
    for statement in notify_trigger_ddl("outbox"):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_notify_trigger_ddl("outbox"):
        op.execute(statement)
    for table in ("outbox", "statuses", "projects", "members", "workspaces"):
        op.drop_table(table)
