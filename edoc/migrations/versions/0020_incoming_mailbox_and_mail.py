"""incoming: the e-mail channel (incoming_mailbox, incoming_mail, incoming_document.mail_id)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 14:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'incoming_mailbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('port', sa.Integer(), nullable=False),
        sa.Column('security', sa.String(length=16), nullable=False),
        sa.Column('username', sa.String(length=255), nullable=False),
        sa.Column('password_sealed', sa.LargeBinary(), nullable=True),
        sa.Column('folder', sa.String(length=255), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('last_polled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_ok_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_incoming_mailbox_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'],
                                name=op.f('fk_incoming_mailbox_updated_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incoming_mailbox')),
        sa.UniqueConstraint('organisation_id', name=op.f('uq_incoming_mailbox_organisation_id')),
    )
    op.create_table(
        'incoming_mail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('mailbox_id', sa.Integer(), nullable=False),
        sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
        sa.Column('uid', sa.BigInteger(), nullable=False),
        sa.Column('message_id', sa.String(length=255), nullable=False),
        sa.Column('sender_email', sa.String(length=255), nullable=False),
        sa.Column('sender_name', sa.String(length=255), nullable=False),
        sa.Column('sender_trusted', sa.Boolean(), nullable=False),
        sa.Column('subject', sa.String(length=500), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('documents', sa.Integer(), nullable=False),
        sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ack_state', sa.String(length=16), nullable=False),
        sa.Column('ack_claim', sa.String(length=128), nullable=False),
        sa.Column('ack_note', sa.Text(), nullable=False),
        sa.Column('acked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['mailbox_id'], ['incoming_mailbox.id'],
                                name=op.f('fk_incoming_mail_mailbox_id_incoming_mailbox')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_incoming_mail_organisation_id_organisation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incoming_mail')),
        sa.UniqueConstraint('mailbox_id', 'uidvalidity', 'uid',
                            name=op.f('uq_incoming_mail_mailbox_id_uidvalidity_uid')),
    )
    op.create_index('ix_incoming_mail_mailbox_message_id', 'incoming_mail', ['mailbox_id', 'message_id'])
    op.create_index(op.f('ix_incoming_mail_organisation_id'), 'incoming_mail', ['organisation_id'])
    with op.batch_alter_table('incoming_document') as batch:
        batch.add_column(sa.Column('mail_id', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_incoming_document_mail_id'), ['mail_id'])
        batch.create_foreign_key(batch.f('fk_incoming_document_mail_id_incoming_mail'), 'incoming_mail',
                                 ['mail_id'], ['id'])


def downgrade():
    with op.batch_alter_table('incoming_document') as batch:
        batch.drop_constraint(batch.f('fk_incoming_document_mail_id_incoming_mail'), type_='foreignkey')
        batch.drop_index(batch.f('ix_incoming_document_mail_id'))
        batch.drop_column('mail_id')
    op.drop_index(op.f('ix_incoming_mail_organisation_id'), table_name='incoming_mail')
    op.drop_index('ix_incoming_mail_mailbox_message_id', table_name='incoming_mail')
    op.drop_table('incoming_mail')
    op.drop_table('incoming_mailbox')
