"""staff web workspace: one-time sign-in links, sessions (hashes only) and its audit trail

Revision ID: 0007_web
Revises: 0001_core
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = '0007_web'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_links',
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.String(length=80), nullable=False),
    sa.Column('staff_name', sa.String(length=100), nullable=True),
    sa.Column('chat_departments', sa.String(length=200), nullable=False),
    sa.Column('created_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_web_links'))
    )
    with op.batch_alter_table('web_links', schema=None) as batch_op:
        batch_op.create_index('ix_web_links_expires', ['expires_at'], unique=False)

    op.create_table('web_sessions',
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.String(length=80), nullable=False),
    sa.Column('staff_name', sa.String(length=100), nullable=True),
    sa.Column('chat_departments', sa.String(length=200), nullable=False),
    sa.Column('created_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_web_sessions'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_web_sessions_expires', ['expires_at'], unique=False)

    op.create_table('web_audit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('staff_id', sa.String(length=80), nullable=True),
    sa.Column('staff_name', sa.String(length=100), nullable=True),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('target', sa.String(length=100), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_audit'))
    )
    with op.batch_alter_table('web_audit', schema=None) as batch_op:
        batch_op.create_index('ix_web_audit_at', ['at'], unique=False)
        batch_op.create_index('ix_web_audit_staff', ['staff_id', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_audit', schema=None) as batch_op:
        batch_op.drop_index('ix_web_audit_staff')
        batch_op.drop_index('ix_web_audit_at')
    op.drop_table('web_audit')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_web_sessions_expires')
    op.drop_table('web_sessions')
    with op.batch_alter_table('web_links', schema=None) as batch_op:
        batch_op.drop_index('ix_web_links_expires')
    op.drop_table('web_links')
