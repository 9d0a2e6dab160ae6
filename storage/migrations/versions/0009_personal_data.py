"""personal data: a record of each consent (purpose, text version, channel, time); outbox rows
carry the tag of what they are about, so that forgetting a client removes the staff cards about
him still waiting; clients lose the single consent date (consents are per purpose now); old
copies of messages kept as jobs of kind "outbox" (before the outbox table) are deleted

Revision ID: 0009_personal_data
Revises: 0006_outbox
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.base

revision = '0009_personal_data'
down_revision = '0006_outbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('person', sa.String(length=100), nullable=True),
    sa.Column('person_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('version', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('given_at', storage.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', storage.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=12), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index('ix_consents_person', ['person', 'purpose'], unique=False)
        batch_op.create_index('ix_consents_ended', ['ended_at'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tag', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_outbox_tag', ['tag'], unique=False)

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('consent_at')

    # Copies of messages (names, phones, texts) that the scheduler of earlier versions kept for
    # retrying; nothing runs them since the outbox table took over.
    op.execute("DELETE FROM jobs WHERE kind = 'outbox'")


def downgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_at', storage.base.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_tag')
        batch_op.drop_column('tag')

    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index('ix_consents_ended')
        batch_op.drop_index('ix_consents_person')
    op.drop_table('consents')
