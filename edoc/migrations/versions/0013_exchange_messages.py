"""exchange: edXML messages sent and received (exchange_message)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 11:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'exchange_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('direction', sa.String(length=3), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('edxml_document_id', sa.String(length=255), nullable=False),
        sa.Column('business', sa.Integer(), nullable=False),
        sa.Column('status_code', sa.String(length=2), nullable=False),
        sa.Column('peer_organ_id', sa.String(length=64), nullable=False),
        sa.Column('peer_name', sa.String(length=255), nullable=False),
        sa.Column('outgoing_document_id', sa.Integer(), nullable=True),
        sa.Column('incoming_document_id', sa.Integer(), nullable=True),
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('peer_status', sa.String(length=2), nullable=False),
        sa.Column('peer_status_note', sa.Text(), nullable=False),
        sa.Column('peer_status_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_exchange_message_file_id_stored_file')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_exchange_message_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['outgoing_document_id'], ['outgoing_document.id'],
                                name=op.f('fk_exchange_message_outgoing_document_id_outgoing_document')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_message')),
        sa.UniqueConstraint('organisation_id', 'direction', 'sha256',
                            name=op.f('uq_exchange_message_organisation_id_direction_sha256')),
    )
    op.create_index('ix_exchange_message_doc', 'exchange_message', ['organisation_id', 'edxml_document_id'])
    op.create_index(op.f('ix_exchange_message_organisation_id'), 'exchange_message', ['organisation_id'])
    op.create_index(op.f('ix_exchange_message_outgoing_document_id'), 'exchange_message', ['outgoing_document_id'])


def downgrade():
    op.drop_index(op.f('ix_exchange_message_outgoing_document_id'), table_name='exchange_message')
    op.drop_index(op.f('ix_exchange_message_organisation_id'), table_name='exchange_message')
    op.drop_index('ix_exchange_message_doc', table_name='exchange_message')
    op.drop_table('exchange_message')
