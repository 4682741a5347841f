"""meetings: minutes, per-item text and conclusions, corrections of recorded facts, written opinions, task answers

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting_minutes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('opening', sa.Text(), nullable=False),
    sa.Column('closing', sa.Text(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('record_sha256', sa.String(length=64), nullable=False),
    sa.Column('secretary_version_id', sa.Integer(), nullable=True),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('notice_due_on', sa.Date(), nullable=False),
    sa.Column('notice_reminded_on', sa.Date(), nullable=True),
    sa.Column('record_check', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_meeting_minutes_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['document_id'], ['outgoing_document.id'], name=op.f('fk_meeting_minutes_document_id_outgoing_document')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_minutes_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['notice_id'], ['outgoing_document.id'], name=op.f('fk_meeting_minutes_notice_id_outgoing_document')),
    sa.ForeignKeyConstraint(['secretary_version_id'], ['document_version.id'], name=op.f('fk_meeting_minutes_secretary_version_id_document_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_minutes')),
    sa.UniqueConstraint('meeting_id', name=op.f('uq_meeting_minutes_meeting_id'))
    )
    op.create_table('meeting_item_minutes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=False),
    sa.Column('proceedings', sa.Text(), nullable=False),
    sa.Column('conclusion', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'], name=op.f('fk_meeting_item_minutes_agenda_item_id_agenda_item')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_item_minutes_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_meeting_item_minutes_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_item_minutes')),
    sa.UniqueConstraint('agenda_item_id', name=op.f('uq_meeting_item_minutes_agenda_item_id'))
    )
    op.create_index(op.f('ix_meeting_item_minutes_meeting_id'), 'meeting_item_minutes', ['meeting_id'], unique=False)
    op.create_table('meeting_fact_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=255), nullable=False),
    sa.Column('recorded', sa.Text(), nullable=False),
    sa.Column('corrected', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_meeting_fact_correction_by_id_user_account')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_fact_correction_meeting_id_meeting')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_fact_correction'))
    )
    op.create_index(op.f('ix_meeting_fact_correction_meeting_id'), 'meeting_fact_correction', ['meeting_id'], unique=False)
    op.create_table('meeting_written_opinion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'], name=op.f('fk_meeting_written_opinion_agenda_item_id_agenda_item')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_written_opinion_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_meeting_written_opinion_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_written_opinion')),
    sa.UniqueConstraint('agenda_item_id', 'participant_id', name=op.f('uq_meeting_written_opinion_agenda_item_id_participant_id'))
    )
    op.create_index(op.f('ix_meeting_written_opinion_meeting_id'), 'meeting_written_opinion', ['meeting_id'], unique=False)
    op.create_table('meeting_task_answer',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['outgoing_document.id'], name=op.f('fk_meeting_task_answer_document_id_outgoing_document')),
    sa.ForeignKeyConstraint(['linked_by_id'], ['user_account.id'], name=op.f('fk_meeting_task_answer_linked_by_id_user_account')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_meeting_task_answer_task_id_task')),
    sa.PrimaryKeyConstraint('task_id', name=op.f('pk_meeting_task_answer'))
    )
    op.create_index(op.f('ix_meeting_task_answer_document_id'), 'meeting_task_answer', ['document_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_meeting_task_answer_document_id'), table_name='meeting_task_answer')
    op.drop_table('meeting_task_answer')
    op.drop_index(op.f('ix_meeting_written_opinion_meeting_id'), table_name='meeting_written_opinion')
    op.drop_table('meeting_written_opinion')
    op.drop_index(op.f('ix_meeting_fact_correction_meeting_id'), table_name='meeting_fact_correction')
    op.drop_table('meeting_fact_correction')
    op.drop_index(op.f('ix_meeting_item_minutes_meeting_id'), table_name='meeting_item_minutes')
    op.drop_table('meeting_item_minutes')
    op.drop_table('meeting_minutes')
