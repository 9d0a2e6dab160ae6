"""requests: written requests to staff, their messages and files, the audit trail

Revision ID: 0003_requests
Revises: 0001_core
Create Date: 2026-11-25 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = '0003_requests'
down_revision = '0001_core'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('requests',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('client_id', ID, nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=True),
    sa.Column('chat_id', sa.String(length=64), nullable=True),
    sa.Column('department', sa.String(length=30), nullable=False),
    sa.Column('topic', sa.String(length=30), nullable=False),
    sa.Column('need', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_phone', sa.String(length=32), nullable=True),
    sa.Column('extra_channel', sa.String(length=8), nullable=True),
    sa.Column('extra_address', sa.String(length=254), nullable=True),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=True),
    sa.Column('created_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deadline_kind', sa.String(length=10), nullable=False),
    sa.Column('extended', sa.Boolean(), nullable=False),
    sa.Column('assignee_id', sa.String(length=80), nullable=True),
    sa.Column('assignee_name', sa.String(length=100), nullable=True),
    sa.Column('answered_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('anonymised_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_requests_client_id_clients'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requests'))
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index('ix_requests_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_requests_client', ['channel', 'user_id'], unique=False)
        batch_op.create_index('ix_requests_closed', ['closed_at'], unique=False)

    op.create_table('request_messages',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('request_id', ID, nullable=False),
    sa.Column('at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('staff_id', sa.String(length=80), nullable=True),
    sa.Column('staff_name', sa.String(length=100), nullable=True),
    sa.Column('delivered', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_request_messages_request_id_requests'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_messages'))
    )
    with op.batch_alter_table('request_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_messages_request_id'), ['request_id'], unique=False)

    op.create_table('request_audit',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('request_id', ID, nullable=False),
    sa.Column('at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=True),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('old', sa.String(length=200), nullable=True),
    sa.Column('new', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_request_audit_request_id_requests'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_audit'))
    )
    with op.batch_alter_table('request_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_audit_request_id'), ['request_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('request_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_audit_request_id'))
    op.drop_table('request_audit')
    with op.batch_alter_table('request_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_messages_request_id'))
    op.drop_table('request_messages')
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index('ix_requests_closed')
        batch_op.drop_index('ix_requests_client')
        batch_op.drop_index('ix_requests_status_due')
    op.drop_table('requests')
