"""channel positions: where the VK long poll was read up to

Revision ID: 0005_positions
Revises: 0001_core
Create Date: 2026-11-25 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = '0005_positions'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_positions',
    sa.Column('stream', sa.String(length=40), nullable=False),
    sa.Column('position', sa.String(length=64), nullable=False),
    sa.Column('updated_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('stream', name=op.f('pk_channel_positions'))
    )


def downgrade() -> None:
    op.drop_table('channel_positions')
