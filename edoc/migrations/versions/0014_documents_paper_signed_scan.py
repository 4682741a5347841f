"""documents: the scan of the paper original of a document signed on paper (ký trên giấy)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:20:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outgoing_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paper_scan_file_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outgoing_document_paper_scan_file_id_stored_file'),
                                    'stored_file', ['paper_scan_file_id'], ['id'])


def downgrade():
    with op.batch_alter_table('outgoing_document', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outgoing_document_paper_scan_file_id_stored_file'),
                                 type_='foreignkey')
        batch_op.drop_column('paper_scan_file_id')
