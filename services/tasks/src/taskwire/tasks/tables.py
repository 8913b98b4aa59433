"""The tasks service's schema (SQLAlchemy Core). Only this service reads or writes it.

`tasks` and `idempotency_keys` are its own. `workspaces`, `members`, `projects` and `statuses`
are its replica of the projects service's data, written only by the events it consumes (and by
read-through on a miss), each row with the version of the event that wrote it. `projects` also
holds this service's per-project sequences (task numbers and the end-of-column rank).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from taskwire.common.outbox import outbox_table

metadata = MetaData()

ROLES = "('owner', 'admin', 'member', 'viewer')"
CATEGORIES = "('todo', 'in_progress', 'in_review', 'issue', 'done')"
PRIORITIES = "('none', 'low', 'medium', 'high', 'urgent')"
LIVE = text("deleted IS false")

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("slug", Text, nullable=False),
    Column("version", Integer, nullable=False),
)

# Removed members stay (removed = true): their profile still shows on the tasks they reported,
# and the version orders a removal against a later re-add.
members = Table(
    "members",
    metadata,
    Column("workspace_id", Uuid, primary_key=True),
    Column("user_id", Uuid, primary_key=True),
    Column("email", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("avatar_url", Text),
    Column("role", Text, CheckConstraint(f"role IN {ROLES}", name="members_role"), nullable=False),
    Column("removed", Boolean, nullable=False, server_default=false()),
    Column("version", Integer, nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("workspace_id", Uuid, nullable=False),
    Column("key", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("archived_at", DateTime(timezone=True)),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("version", Integer, nullable=False),
    # This service's own, never replicated: the last task number given, and the highest rank
    # at the end of any column (a create or a move to the end goes past it).
    Column("last_number", Integer, nullable=False, server_default=text("0")),
    Column("last_position", BigInteger, nullable=False, server_default=text("0")),
)

statuses = Table(
    "statuses",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Uuid, nullable=False, index=True),
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
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Uuid, nullable=False),
    Column("workspace_id", Uuid, nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("status_id", Uuid, nullable=False),
    Column(
        "category",
        Text,
        CheckConstraint(f"category IN {CATEGORIES}", name="tasks_category"),
        nullable=False,
    ),
    Column("position", Numeric, nullable=False),
    Column(
        "priority",
        Text,
        CheckConstraint(f"priority IN {PRIORITIES}", name="tasks_priority"),
        nullable=False,
    ),
    Column("assignee_id", Uuid),
    Column("reporter_id", Uuid, nullable=False),
    Column("due_date", Date),
    Column("archived_at", DateTime(timezone=True)),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("project_id", "number", name="tasks_project_number"),
)
# Every list is a keyset walk of one of these; deleted tasks are in none of them.
Index(
    "tasks_board",
    tasks.c.project_id,
    tasks.c.status_id,
    tasks.c.position,
    tasks.c.id,
    postgresql_where=LIVE,
)
Index("tasks_created", tasks.c.project_id, tasks.c.id, postgresql_where=LIVE)
Index("tasks_updated", tasks.c.project_id, tasks.c.updated_at, tasks.c.id, postgresql_where=LIVE)
Index("tasks_assigned", tasks.c.assignee_id, tasks.c.id, postgresql_where=LIVE)
# The aggregator's recount of one project walks every task of it, deleted ones included (they
# tell it what counts nowhere), by id: `tasks_created` holds only the live ones. It carries the
# counting facts, so the walk reads the index alone; being the larger, it also leaves the live
# lists to `tasks_created` (an index of only its key would tie with that one on a board with no
# deleted tasks).
Index(
    "tasks_project_id",
    tasks.c.project_id,
    tasks.c.id,
    postgresql_include=["category", "archived_at", "deleted", "version"],
)

# A create's Idempotency-Key, per caller: the request's fingerprint and the first answer.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("fingerprint", LargeBinary, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)
Index("idempotency_keys_created_at", idempotency_keys.c.created_at)

outbox = outbox_table(metadata)
