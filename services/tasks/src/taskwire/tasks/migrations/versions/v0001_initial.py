"""Tasks, idempotency keys, the outbox, and the replica of the projects service's data.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from taskwire.common.outbox import drop_notify_trigger_ddl, notify_trigger_ddl

ROLES = "('owner', 'admin', 'member', 'viewer')"
CATEGORIES = "('todo', 'in_progress', 'in_review', 'issue', 'done')"
PRIORITIES = "('none', 'low', 'medium', 'high', 'urgent')"

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.LargeBinary(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('user_id', 'key')
    )
    op.create_index('idempotency_keys_created_at', 'idempotency_keys', ['created_at'], unique=False)
    op.create_table('members',
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.Text(), nullable=False),
    sa.Column('display_name', sa.Text(), nullable=False),
    sa.Column('avatar_url', sa.Text(), nullable=True),
    sa.Column('role', sa.Text(), sa.CheckConstraint(f'role IN {ROLES}', name='members_role'), nullable=False),
    sa.Column('removed', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('workspace_id', 'user_id')
    )
    op.create_table('outbox',
    sa.Column('seq', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('routing_key', sa.Text(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('headers', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('id')
    )
    op.create_index('outbox_published_at', 'outbox', ['published_at'], unique=False, postgresql_where=sa.text('published_at IS NOT NULL'))
    op.create_index('outbox_unpublished_seq', 'outbox', ['seq'], unique=False, postgresql_where=sa.text('published_at IS NULL'))
    for statement in notify_trigger_ddl():
        op.execute(statement)
    op.create_table('projects',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('last_position', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('statuses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('category', sa.Text(), sa.CheckConstraint(f'category IN {CATEGORIES}', name='statuses_category'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_statuses_project_id'), 'statuses', ['project_id'], unique=False)
    op.create_table('tasks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('status_id', sa.Uuid(), nullable=False),
    sa.Column('category', sa.Text(), sa.CheckConstraint(f'category IN {CATEGORIES}', name='tasks_category'), nullable=False),
    sa.Column('position', sa.Numeric(), nullable=False),
    sa.Column('priority', sa.Text(), sa.CheckConstraint(f'priority IN {PRIORITIES}', name='tasks_priority'), nullable=False),
    sa.Column('assignee_id', sa.Uuid(), nullable=True),
    sa.Column('reporter_id', sa.Uuid(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'number', name='tasks_project_number')
    )
    op.create_index('tasks_assigned', 'tasks', ['assignee_id', 'id'], unique=False, postgresql_where=sa.text('deleted IS false'))
    op.create_index('tasks_board', 'tasks', ['project_id', 'status_id', 'position', 'id'], unique=False, postgresql_where=sa.text('deleted IS false'))
    op.create_index('tasks_created', 'tasks', ['project_id', 'id'], unique=False, postgresql_where=sa.text('deleted IS false'))
    op.create_index('tasks_updated', 'tasks', ['project_id', 'updated_at', 'id'], unique=False, postgresql_where=sa.text('deleted IS false'))
    op.create_table('workspaces',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('slug', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('workspaces')
    op.drop_index('tasks_updated', table_name='tasks', postgresql_where=sa.text('deleted IS false'))
    op.drop_index('tasks_created', table_name='tasks', postgresql_where=sa.text('deleted IS false'))
    op.drop_index('tasks_board', table_name='tasks', postgresql_where=sa.text('deleted IS false'))
    op.drop_index('tasks_assigned', table_name='tasks', postgresql_where=sa.text('deleted IS false'))
    op.drop_table('tasks')
    op.drop_index(op.f('ix_statuses_project_id'), table_name='statuses')
    op.drop_table('statuses')
    op.drop_table('projects')
    for statement in drop_notify_trigger_ddl():
        op.execute(statement)
    op.drop_index('outbox_unpublished_seq', table_name='outbox', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_index('outbox_published_at', table_name='outbox', postgresql_where=sa.text('published_at IS NOT NULL'))
    op.drop_table('outbox')
    op.drop_table('members')
    op.drop_index('idempotency_keys_created_at', table_name='idempotency_keys')
    op.drop_table('idempotency_keys')
