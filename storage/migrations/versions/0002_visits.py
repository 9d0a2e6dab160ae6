"""visits: bookings of reception places (double booking impossible by partial unique indexes), closed periods

Revision ID: 0002_visits
Revises: 0001_core
Create Date: 2026-11-25 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = '0002_visits'
down_revision = '0001_core'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_table('visit_bookings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('department', sa.String(length=30), nullable=False),
    sa.Column('topic', sa.String(length=30), nullable=True),
    sa.Column('slot_start', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('slot_end', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('priority', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=12), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.CheckConstraint('place >= 1', name=op.f('ck_visit_bookings_place_positive')),
    sa.CheckConstraint('slot_end > slot_start', name=op.f('ck_visit_bookings_slot_order')),
    sa.CheckConstraint("status IN ('active', 'cancelled')", name=op.f('ck_visit_bookings_status_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_bookings'))
    )
    with op.batch_alter_table('visit_bookings', schema=None) as batch_op:
        # One active booking per place of a slot: the database refuses a second one, whatever races.
        batch_op.create_index('uq_visit_bookings_place', ['department', 'slot_start', 'place'], unique=True,
                              sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.create_index('uq_visit_bookings_person_time', ['channel', 'user_id', 'slot_start'], unique=True,
                              sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.create_index('ix_visit_bookings_department_start', ['department', 'slot_start'], unique=False)
        batch_op.create_index('ix_visit_bookings_person', ['channel', 'user_id'], unique=False)

    op.create_table('visit_closures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('department', sa.String(length=30), nullable=False),
    sa.Column('starts_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_visit_closures_period_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_closures'))
    )
    with op.batch_alter_table('visit_closures', schema=None) as batch_op:
        batch_op.create_index('ix_visit_closures_department_end', ['department', 'ends_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('visit_closures', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_closures_department_end')
    op.drop_table('visit_closures')
    with op.batch_alter_table('visit_bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_bookings_person')
        batch_op.drop_index('ix_visit_bookings_department_start')
        batch_op.drop_index('uq_visit_bookings_person_time')
        batch_op.drop_index('uq_visit_bookings_place')
    op.drop_table('visit_bookings')
