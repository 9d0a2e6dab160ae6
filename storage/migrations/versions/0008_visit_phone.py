"""visits: an index of the active bookings by phone number (the limit of future visits per person)

Revision ID: 0008_visit_phone
Revises: 0002_visits
Create Date: 2026-12-20 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_visit_phone'
down_revision = '0002_visits'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_index('ix_visit_bookings_phone', 'visit_bookings', ['phone'], unique=False,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)


def downgrade() -> None:
    op.drop_index('ix_visit_bookings_phone', table_name='visit_bookings',
                  sqlite_where=ACTIVE, postgresql_where=ACTIVE)
