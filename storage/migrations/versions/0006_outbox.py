"""outbox: every message is written with the event that caused it and sent after the commit;
conversations remember the ids of the updates they answered

Revision ID: 0006_outbox
Revises: 0001_core
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = '0006_outbox'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.String(length=254), nullable=False),
    sa.Column('thread_id', sa.BigInteger(), nullable=True),
    sa.Column('user_id', sa.String(length=64), nullable=True),
    sa.Column('department', sa.String(length=30), nullable=True),
    sa.Column('person', sa.String(length=100), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('bulk', sa.Boolean(), nullable=False),
    sa.Column('hook', sa.String(length=40), nullable=True),
    sa.Column('hook_args', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sqlite_autoincrement=True
    )
    op.create_index('ix_outbox_status_next', 'outbox', ['status', 'next_at'], unique=False)
    op.create_index('ix_outbox_chat', 'outbox', ['channel', 'chat_id', 'id'], unique=False)
    op.create_index('ix_outbox_person', 'outbox', ['person'], unique=False)
    with op.batch_alter_table('conversations') as batch:
        batch.add_column(sa.Column('recent_updates', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('conversations') as batch:
        batch.drop_column('recent_updates')
    op.drop_index('ix_outbox_person', table_name='outbox')
    op.drop_index('ix_outbox_chat', table_name='outbox')
    op.drop_index('ix_outbox_status_next', table_name='outbox')
    op.drop_table('outbox')
