"""exchange: the XML signature of each edXML message (signed or not when sent; valid, untrusted or unsigned when
received) and who signed it or why not

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 20:00:00

Messages kept before this have no verdict ('').
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMNs with a default (no batch copy)
    op.add_column('exchange_message', sa.Column('signature', sa.String(length=16), nullable=False,
                                                server_default=''))
    op.add_column('exchange_message', sa.Column('signature_note', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('exchange_message', schema=None) as batch_op:
        batch_op.drop_column('signature_note')
        batch_op.drop_column('signature')
