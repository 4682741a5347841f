"""meetings: the live room (event log and sequence numbers, check-in, speakers, private notes)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 14:40:00

"""
import sqlalchemy as sa
from alembic import op

import edoc.core.db

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'meeting_live',
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('current_item_id', sa.Integer(), nullable=True),
        sa.Column('presenter_paper_id', sa.Integer(), nullable=True),
        sa.Column('presenter_page', sa.Integer(), nullable=True),
        sa.Column('updated_at', edoc.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['current_item_id'], ['agenda_item.id'], name=op.f('fk_meeting_live_current_item_id_agenda_item')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_live_meeting_id_meeting')),
        sa.PrimaryKeyConstraint('meeting_id', name=op.f('pk_meeting_live')),
    )
    op.create_table(
        'meeting_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('created_at', edoc.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_meeting_event_actor_id_user_account')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_event_meeting_id_meeting')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_event')),
        sa.UniqueConstraint('meeting_id', 'seq', name=op.f('uq_meeting_event_meeting_id_seq')),
    )
    op.create_table(
        'meeting_checkin',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('deputy_id', sa.Integer(), nullable=True),
        sa.Column('by_user_id', sa.Integer(), nullable=False),
        sa.Column('at', edoc.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['by_user_id'], ['user_account.id'], name=op.f('fk_meeting_checkin_by_user_id_user_account')),
        sa.ForeignKeyConstraint(['deputy_id'], ['participant.id'], name=op.f('fk_meeting_checkin_deputy_id_participant')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_checkin_meeting_id_meeting')),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_meeting_checkin_participant_id_participant')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_checkin')),
        sa.UniqueConstraint('meeting_id', 'participant_id', name=op.f('uq_meeting_checkin_meeting_id_participant_id')),
    )
    op.create_table(
        'meeting_speaker',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('requested_at', edoc.core.db.UTCDateTime(), nullable=False),
        sa.Column('started_at', edoc.core.db.UTCDateTime(), nullable=True),
        sa.Column('ended_at', edoc.core.db.UTCDateTime(), nullable=True),
        sa.Column('seconds', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['item_id'], ['agenda_item.id'], name=op.f('fk_meeting_speaker_item_id_agenda_item')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_speaker_meeting_id_meeting')),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_meeting_speaker_participant_id_participant')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_speaker')),
    )
    op.create_index('ix_meeting_speaker_meeting_status', 'meeting_speaker', ['meeting_id', 'status', 'position'])
    op.create_table(
        'meeting_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('updated_at', edoc.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_note_meeting_id_meeting')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_meeting_note_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_note')),
        sa.UniqueConstraint('meeting_id', 'user_id', name=op.f('uq_meeting_note_meeting_id_user_id')),
    )


def downgrade():
    op.drop_table('meeting_note')
    op.drop_index('ix_meeting_speaker_meeting_status', table_name='meeting_speaker')
    op.drop_table('meeting_speaker')
    op.drop_table('meeting_checkin')
    op.drop_table('meeting_event')
    op.drop_table('meeting_live')
