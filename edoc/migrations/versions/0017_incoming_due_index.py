"""incoming: the status index also orders by deadline, for the due/overdue box

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 14:05:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incoming_document', schema=None) as batch_op:
        batch_op.drop_index('ix_incoming_document_org_status')
        batch_op.create_index('ix_incoming_document_org_status', ['organisation_id', 'status', 'deadline'])


def downgrade():
    with op.batch_alter_table('incoming_document', schema=None) as batch_op:
        batch_op.drop_index('ix_incoming_document_org_status')
        batch_op.create_index('ix_incoming_document_org_status', ['organisation_id', 'status'])
