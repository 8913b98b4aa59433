"""The projects service's schema (SQLAlchemy Core). Only this service reads or writes it."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    Uuid,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from taskwire.common.outbox import outbox_table

metadata = MetaData()

ROLES = "('owner', 'admin', 'member', 'viewer')"
CATEGORIES = "('todo', 'in_progress', 'in_review', 'issue', 'done')"


def _timestamps() -> list[Column[object]]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    ]


workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("slug", Text, nullable=False, unique=True),
    Column("version", Integer, nullable=False),
    *_timestamps(),
)

# Removed members stay as tombstones (removed = true) so a replica can order a removal and a
# later re-add by version.
members = Table(
    "members",
    metadata,
    Column("workspace_id", Uuid, ForeignKey("workspaces.id"), primary_key=True),
    Column("user_id", Uuid, primary_key=True),
    Column("email", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("avatar_url", Text),
    Column("role", Text, CheckConstraint(f"role IN {ROLES}", name="members_role"), nullable=False),
    Column("removed", Boolean, nullable=False, server_default=false()),
    Column("version", Integer, nullable=False),
    *_timestamps(),
)
# "My workspaces": the caller's live memberships in workspace order (the keyset of that list).
Index(
    "members_user_workspaces",
    members.c.user_id,
    members.c.workspace_id,
    postgresql_where=members.c.removed.is_(False),
)

# counts/derived_status belong to the aggregator: they are applied by their own versions and do
# not bump the project's version.
projects = Table(
    "projects",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("workspace_id", Uuid, ForeignKey("workspaces.id"), nullable=False),
    Column("key", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("archived_at", DateTime(timezone=True)),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column(
        "derived_status",
        Text,
        CheckConstraint(f"derived_status IN {CATEGORIES}", name="projects_derived_status"),
        nullable=False,
        server_default="todo",
    ),
    Column("counts", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("counts_version", BigInteger, nullable=False, server_default="0"),
    Column("derived_status_version", BigInteger, nullable=False, server_default="0"),
    Column("version", Integer, nullable=False),
    *_timestamps(),
)
Index(
    "projects_workspace_live",
    projects.c.workspace_id,
    projects.c.id,
    postgresql_where=projects.c.deleted.is_(False),
)
Index(
    "projects_workspace_key",
    projects.c.workspace_id,
    projects.c.key,
    unique=True,
    postgresql_where=projects.c.deleted.is_(False),
)

statuses = Table(
    "statuses",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Uuid, ForeignKey("projects.id"), nullable=False),
    Column("workspace_id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    Column(
        "category",
        Text,
        CheckConstraint(f"category IN {CATEGORIES}", name="statuses_category"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("version", Integer, nullable=False),
    *_timestamps(),
)
Index(
    "statuses_project_board",
    statuses.c.project_id,
    statuses.c.position,
    postgresql_where=statuses.c.deleted.is_(False),
)

outbox = outbox_table(metadata)
