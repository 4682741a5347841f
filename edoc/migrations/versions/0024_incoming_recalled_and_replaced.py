"""incoming: an arrival recalled by its sender (reason, when) and the earlier arrival a replacement replaces

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 14:10:00

Received over the exchange network as edXML business codes 1 (recall) and 3 (replace), applied by edoc.exchange
to the earlier arrival they concern. The status value ``recalled`` needs no schema change (a string column).
"""
import sqlalchemy as sa
from alembic import op

import edoc.core.db

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    # plain ADD COLUMNs (no batch copy): nullable, or with a default
    op.add_column('incoming_document', sa.Column('recall_reason', sa.Text(), nullable=False, server_default=''))
    op.add_column('incoming_document', sa.Column('recalled_at', edoc.core.db.UTCDateTime(timezone=True),
                                                 nullable=True))
    op.add_column('incoming_document', sa.Column('replaces_id', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('incoming_document', schema=None) as batch_op:
        batch_op.drop_column('replaces_id')
        batch_op.drop_column('recalled_at')
        batch_op.drop_column('recall_reason')
