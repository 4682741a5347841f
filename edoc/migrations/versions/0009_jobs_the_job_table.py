"""jobs: the job table, each background job's intent and course (edoc.jobs)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 11:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

from edoc.core.db import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=True),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('secret', sa.LargeBinary(), nullable=True),
        sa.Column('batch', sa.String(length=64), nullable=True),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('enqueued_at', UTCDateTime(), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=True),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.Column('lease_until', UTCDateTime(), nullable=True),
        sa.Column('claimed_by', sa.String(length=128), nullable=False),
        sa.Column('progress_done', sa.Integer(), nullable=False),
        sa.Column('progress_total', sa.Integer(), nullable=False),
        sa.Column('result', sa.Text(), nullable=False),
        sa.Column('outcome', sa.Text(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
        sa.UniqueConstraint('key', name=op.f('uq_job_key')),
    )
    op.create_index('ix_job_status_enqueued_at', 'job', ['status', 'enqueued_at'], unique=False)
    op.create_index(op.f('ix_job_batch'), 'job', ['batch'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_job_batch'), table_name='job')
    op.drop_index('ix_job_status_enqueued_at', table_name='job')
    op.drop_table('job')
