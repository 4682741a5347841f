"""calendar: the admin's swaps of working days (nghỉ bù, làm bù)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:45:00.000000
"""
import sqlalchemy as sa
from alembic import op

import edoc.core.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'calendar_swap',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('note', sa.String(length=255), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', edoc.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_calendar_swap_created_by_id_user_account')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_calendar_swap_organisation_id_organisation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_swap')),
        sa.UniqueConstraint('organisation_id', 'day', name=op.f('uq_calendar_swap_organisation_id_day')),
    )
    with op.batch_alter_table('calendar_swap', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_swap_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('calendar_swap', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_swap_organisation_id'))
    op.drop_table('calendar_swap')
