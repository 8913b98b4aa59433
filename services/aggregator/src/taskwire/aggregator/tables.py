"""The aggregator's schema (SQLAlchemy Core). Only this service reads or writes it.

`task_facts` holds each task's last applied counting facts and their version; `project_counts`
holds each project's counts, which always equal a recount of its facts, and their version.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    Uuid,
    func,
    text,
)

from taskwire.common.outbox import outbox_table

metadata = MetaData()

CATEGORIES = "('todo', 'in_progress', 'in_review', 'issue', 'done')"
COUNTS = ("total", "todo", "in_progress", "in_review", "issue", "done", "archived")

task_facts = Table(
    "task_facts",
    metadata,
    Column("task_id", Uuid, primary_key=True),
    Column("project_id", Uuid, nullable=False),
    Column(
        "category",
        Text,
        CheckConstraint(f"category IN {CATEGORIES}", name="task_facts_category"),
        nullable=False,
    ),
    Column("archived", Boolean, nullable=False),
    Column("deleted", Boolean, nullable=False),
    # 0 only inside a batch's transaction: the placeholder that locks a task seen for the first
    # time; every event has a version of at least 1, so none outlives its transaction.
    Column("version", Integer, nullable=False),
)
Index("task_facts_project", task_facts.c.project_id)

project_counts = Table(
    "project_counts",
    metadata,
    Column("project_id", Uuid, primary_key=True),
    Column("workspace_id", Uuid),
    # No CHECK (>= 0): Postgres checks an upsert's proposed row, which holds the deltas, before
    # it finds the conflict. Reconcile is what proves the counts.
    *(Column(name, Integer, nullable=False, server_default="0") for name in COUNTS),
    Column("counts_version", BigInteger, nullable=False, server_default=text("0")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = outbox_table(metadata)
