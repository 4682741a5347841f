"""incoming: the leaders' board kept as counts (incoming_board_count), filled from the documents; indexes for the
board's exact parts (the year's secret documents, what a leader registered or directed)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 17:00:00

The counts are kept by edoc.incoming.board_counts in the transaction of every change of a document; this fills them
for the documents already there, with the same key (``edoc incoming rebuild-board`` recounts the same way). The key
is written out here rather than imported: a migration must not change when the code does.
"""
from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

NO_DEADLINE = date(9999, 12, 31)
KEY = ("organisation_id", "year", "month", "lead_unit_id", "presented_to_id", "secret", "state", "deadline")


def upgrade():
    counts = op.create_table(
        'incoming_board_count',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('lead_unit_id', sa.Integer(), nullable=False),
        sa.Column('presented_to_id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.Boolean(), nullable=False),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incoming_board_count')),
        sa.UniqueConstraint(*KEY, name='uq_incoming_board_count_key'),
    )
    op.create_index('ix_incoming_document_org_year_secrecy', 'incoming_document',
                    ['organisation_id', 'year', 'secrecy'], unique=False)
    op.create_index('ix_incoming_document_registered_by', 'incoming_document', ['registered_by_id', 'presented_to_id'],
                    unique=False)
    op.create_index('ix_incoming_document_directed_by', 'incoming_document', ['directed_by_id', 'presented_to_id'],
                    unique=False)

    d = sa.table('incoming_document', *(sa.column(n) for n in (
        'organisation_id', 'year', 'number', 'received_on', 'lead_unit_id', 'presented_to_id', 'secrecy', 'status',
        'deadline', 'finished_on')))
    done = d.c.status.in_(('done', 'filed'))
    no_deadline = sa.literal(NO_DEADLINE, sa.Date)
    state = sa.case(
        (d.c.status == 'in_progress', 'handling'),
        (sa.and_(done, sa.or_(d.c.deadline.is_(None), d.c.finished_on <= d.c.deadline)), 'on_time'),
        (sa.and_(done, d.c.finished_on > d.c.deadline), 'late'),
        (done, 'done'),
        else_='open')
    keyed = sa.select(
        d.c.organisation_id.label('organisation_id'), d.c.year.label('year'),
        sa.cast(sa.extract('month', d.c.received_on), sa.Integer).label('month'),
        sa.func.coalesce(d.c.lead_unit_id, 0).label('lead_unit_id'),
        sa.func.coalesce(d.c.presented_to_id, 0).label('presented_to_id'),
        (d.c.secrecy != '').label('secret'), state.label('state'),
        sa.case((d.c.status == 'in_progress', sa.func.coalesce(d.c.deadline, no_deadline)),
                else_=no_deadline).label('deadline'),
    ).where(d.c.number.is_not(None), d.c.year.is_not(None)).subquery()
    columns = [keyed.c[n] for n in KEY]
    op.execute(sa.insert(counts).from_select(
        [*KEY, 'count'], sa.select(*columns, sa.func.count().label('count')).group_by(*columns)))


def downgrade():
    op.drop_index('ix_incoming_document_directed_by', table_name='incoming_document')
    op.drop_index('ix_incoming_document_registered_by', table_name='incoming_document')
    op.drop_index('ix_incoming_document_org_year_secrecy', table_name='incoming_document')
    op.drop_table('incoming_board_count')
