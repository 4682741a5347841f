"""meetings: rooms, meetings, participants, agenda items

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:05:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting_booking_lock',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_meeting_booking_lock'))
    )
    op.create_table('room',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('equipment', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_room_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room'))
    )
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('location', sa.String(length=255), nullable=False),
    sa.Column('online_link', sa.String(length=1000), nullable=True),
    sa.Column('chair_id', sa.Integer(), nullable=False),
    sa.Column('secretary_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requires_approval', sa.Boolean(), nullable=False),
    sa.Column('quorum_rule', sa.String(length=32), nullable=False),
    sa.Column('allow_remote_vote', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_meeting_ends_after_start')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user_account.id'], name=op.f('fk_meeting_approved_by_id_user_account')),
    sa.ForeignKeyConstraint(['chair_id'], ['user_account.id'], name=op.f('fk_meeting_chair_id_user_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_meeting_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_meeting_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_meeting_room_id_room')),
    sa.ForeignKeyConstraint(['secretary_id'], ['user_account.id'], name=op.f('fk_meeting_secretary_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting'))
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_chair_starts', ['chair_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_meeting_org_starts', ['organisation_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_meeting_room_starts', ['room_id', 'starts_at'], unique=False)

    op.create_table('meeting_feed_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_meeting_feed_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_feed_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_meeting_feed_token_token_hash')),
    sa.UniqueConstraint('user_id', name=op.f('uq_meeting_feed_token_user_id'))
    )
    op.create_table('agenda_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('presenter_user_id', sa.Integer(), nullable=True),
    sa.Column('planned_minutes', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_agenda_item_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['parent_id'], ['agenda_item.id'], name=op.f('fk_agenda_item_parent_id_agenda_item')),
    sa.ForeignKeyConstraint(['presenter_user_id'], ['user_account.id'], name=op.f('fk_agenda_item_presenter_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_item'))
    )
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.create_index('ix_agenda_item_meeting_position', ['meeting_id', 'parent_id', 'position'], unique=False)

    op.create_table('meeting_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=1500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_meeting_invitation_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['document_id'], ['outgoing_document.id'], name=op.f('fk_meeting_invitation_document_id_outgoing_document')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_invitation_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['replaces_id'], ['meeting_invitation.id'], name=op.f('fk_meeting_invitation_replaces_id_meeting_invitation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_invitation')),
    sa.UniqueConstraint('document_id', name=op.f('uq_meeting_invitation_document_id'))
    )
    with op.batch_alter_table('meeting_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_invitation_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('guest_name', sa.String(length=255), nullable=True),
    sa.Column('guest_organisation', sa.String(length=255), nullable=True),
    sa.Column('guest_email', sa.String(length=255), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('votes', sa.Boolean(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('deputy_for_id', sa.Integer(), nullable=True),
    sa.Column('deputy_approved', sa.Boolean(), nullable=True),
    sa.Column('answer', sa.String(length=16), nullable=False),
    sa.Column('answer_reason', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deputy_for_id'], ['participant.id'], name=op.f('fk_participant_deputy_for_id_participant')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_participant_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_participant_unit_id_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_participant_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant')),
    sa.UniqueConstraint('meeting_id', 'user_id', name=op.f('uq_participant_meeting_id_user_id'))
    )
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participant_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participant_user_id'))
        batch_op.drop_index(batch_op.f('ix_participant_meeting_id'))

    op.drop_table('participant')
    with op.batch_alter_table('meeting_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_invitation_meeting_id'))

    op.drop_table('meeting_invitation')
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_index('ix_agenda_item_meeting_position')

    op.drop_table('agenda_item')
    op.drop_table('meeting_feed_token')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_room_starts')
        batch_op.drop_index('ix_meeting_org_starts')
        batch_op.drop_index('ix_meeting_chair_starts')

    op.drop_table('meeting')
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_organisation_id'))

    op.drop_table('room')
    op.drop_table('meeting_booking_lock')
