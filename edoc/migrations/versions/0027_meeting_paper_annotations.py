"""meetings: each delegate's private annotations on a page of a meeting paper's version

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 17:00:00

One row per (person, paper version, page): the strokes, highlights and pinned notes as validated JSON. The
paper's PDF is never changed (issue 13 item 5).
"""
import sqlalchemy as sa
from alembic import op

import edoc.core.db

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'meeting_paper_annotation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('page', sa.Integer(), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('updated_at', edoc.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'],
                                name=op.f('fk_meeting_paper_annotation_meeting_id_meeting')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_meeting_paper_annotation_user_id_user_account')),
        sa.ForeignKeyConstraint(['version_id'], ['meeting_paper_version.id'],
                                name=op.f('fk_meeting_paper_annotation_version_id_meeting_paper_version')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_paper_annotation')),
        sa.UniqueConstraint('user_id', 'version_id', 'page',
                            name=op.f('uq_meeting_paper_annotation_user_id_version_id_page')),
    )
    op.create_index(op.f('ix_meeting_paper_annotation_meeting_id'), 'meeting_paper_annotation', ['meeting_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_meeting_paper_annotation_meeting_id'), table_name='meeting_paper_annotation')
    op.drop_table('meeting_paper_annotation')
