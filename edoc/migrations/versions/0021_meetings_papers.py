"""meetings: papers of agenda items (versions, restricted readers, comments, deliveries), release time, reminders

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'meeting_paper',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('agenda_item_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=500), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('outgoing_document_id', sa.Integer(), nullable=True),
        sa.Column('incoming_document_id', sa.Integer(), nullable=True),
        sa.Column('draft', sa.Boolean(), nullable=False),
        sa.Column('restricted', sa.Boolean(), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_paper_meeting_id_meeting')),
        sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'],
                                name=op.f('fk_meeting_paper_agenda_item_id_agenda_item')),
        sa.ForeignKeyConstraint(['outgoing_document_id'], ['outgoing_document.id'],
                                name=op.f('fk_meeting_paper_outgoing_document_id_outgoing_document')),
        sa.ForeignKeyConstraint(['incoming_document_id'], ['incoming_document.id'],
                                name=op.f('fk_meeting_paper_incoming_document_id_incoming_document')),
        sa.ForeignKeyConstraint(['added_by_id'], ['user_account.id'],
                                name=op.f('fk_meeting_paper_added_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_paper')),
    )
    op.create_index(op.f('ix_meeting_paper_meeting_id'), 'meeting_paper', ['meeting_id'])
    op.create_index(op.f('ix_meeting_paper_agenda_item_id'), 'meeting_paper', ['agenda_item_id'])
    op.create_table(
        'meeting_paper_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('paper_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.Column('source_file_id', sa.Integer(), nullable=True),
        sa.Column('signed', sa.Boolean(), nullable=False),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['paper_id'], ['meeting_paper.id'],
                                name=op.f('fk_meeting_paper_version_paper_id_meeting_paper')),
        sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'],
                                name=op.f('fk_meeting_paper_version_file_id_stored_file')),
        sa.ForeignKeyConstraint(['source_file_id'], ['stored_file.id'],
                                name=op.f('fk_meeting_paper_version_source_file_id_stored_file')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_meeting_paper_version_created_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_paper_version')),
        sa.UniqueConstraint('paper_id', 'number', name=op.f('uq_meeting_paper_version_paper_id_number')),
    )
    op.create_index(op.f('ix_meeting_paper_version_paper_id'), 'meeting_paper_version', ['paper_id'])
    op.create_table(
        'meeting_paper_reader',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('paper_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['paper_id'], ['meeting_paper.id'],
                                name=op.f('fk_meeting_paper_reader_paper_id_meeting_paper')),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'],
                                name=op.f('fk_meeting_paper_reader_participant_id_participant')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_paper_reader')),
        sa.UniqueConstraint('paper_id', 'participant_id',
                            name=op.f('uq_meeting_paper_reader_paper_id_participant_id')),
    )
    op.create_index(op.f('ix_meeting_paper_reader_paper_id'), 'meeting_paper_reader', ['paper_id'])
    op.create_index(op.f('ix_meeting_paper_reader_participant_id'), 'meeting_paper_reader', ['participant_id'])
    op.create_table(
        'meeting_paper_comment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('paper_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('page', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['paper_id'], ['meeting_paper.id'],
                                name=op.f('fk_meeting_paper_comment_paper_id_meeting_paper')),
        sa.ForeignKeyConstraint(['version_id'], ['meeting_paper_version.id'],
                                name=op.f('fk_meeting_paper_comment_version_id_meeting_paper_version')),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'],
                                name=op.f('fk_meeting_paper_comment_author_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_paper_comment')),
    )
    op.create_index(op.f('ix_meeting_paper_comment_paper_id'), 'meeting_paper_comment', ['paper_id'])
    op.create_index(op.f('ix_meeting_paper_comment_version_id'), 'meeting_paper_comment', ['version_id'])
    op.create_table(
        'meeting_paper_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('paper_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('watermarked', sa.Boolean(), nullable=False),
        sa.Column('inline', sa.Boolean(), nullable=False),
        sa.Column('at', TS, nullable=False),
        sa.ForeignKeyConstraint(['paper_id'], ['meeting_paper.id'],
                                name=op.f('fk_meeting_paper_delivery_paper_id_meeting_paper')),
        sa.ForeignKeyConstraint(['version_id'], ['meeting_paper_version.id'],
                                name=op.f('fk_meeting_paper_delivery_version_id_meeting_paper_version')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_meeting_paper_delivery_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_paper_delivery')),
    )
    op.create_index(op.f('ix_meeting_paper_delivery_paper_id'), 'meeting_paper_delivery', ['paper_id'])
    op.create_index(op.f('ix_meeting_paper_delivery_user_id'), 'meeting_paper_delivery', ['user_id'])
    op.create_table(
        'meeting_paper_release',
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('release_at', TS, nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=False),
        sa.Column('set_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'],
                                name=op.f('fk_meeting_paper_release_meeting_id_meeting')),
        sa.ForeignKeyConstraint(['set_by_id'], ['user_account.id'],
                                name=op.f('fk_meeting_paper_release_set_by_id_user_account')),
        sa.PrimaryKeyConstraint('meeting_id', name=op.f('pk_meeting_paper_release')),
    )
    op.create_table(
        'meeting_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('minutes_before', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_reminder_meeting_id_meeting')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_meeting_reminder_created_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_reminder')),
        sa.UniqueConstraint('meeting_id', 'minutes_before',
                            name=op.f('uq_meeting_reminder_meeting_id_minutes_before')),
    )
    op.create_index(op.f('ix_meeting_reminder_meeting_id'), 'meeting_reminder', ['meeting_id'])
    op.create_table(
        'meeting_reminder_sent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reminder_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Boolean(), nullable=False),
        sa.Column('sent_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['reminder_id'], ['meeting_reminder.id'],
                                name=op.f('fk_meeting_reminder_sent_reminder_id_meeting_reminder')),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'],
                                name=op.f('fk_meeting_reminder_sent_participant_id_participant')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_reminder_sent')),
        sa.UniqueConstraint('reminder_id', 'participant_id',
                            name=op.f('uq_meeting_reminder_sent_reminder_id_participant_id')),
    )
    op.create_index(op.f('ix_meeting_reminder_sent_reminder_id'), 'meeting_reminder_sent', ['reminder_id'])
    op.create_index(op.f('ix_meeting_reminder_sent_participant_id'), 'meeting_reminder_sent', ['participant_id'])


def downgrade():
    for table in ('meeting_reminder_sent', 'meeting_reminder', 'meeting_paper_release', 'meeting_paper_delivery',
                  'meeting_paper_comment', 'meeting_paper_reader', 'meeting_paper_version', 'meeting_paper'):
        op.drop_table(table)
