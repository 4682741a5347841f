"""documents: the claim token of the job attempt sending a recipient's e-mail (edoc.documents.dispatch)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 11:10:00.000000
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recipient') as batch_op:
        batch_op.add_column(sa.Column('dispatch_claim', sa.String(length=128), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('recipient') as batch_op:
        batch_op.drop_column('dispatch_claim')
