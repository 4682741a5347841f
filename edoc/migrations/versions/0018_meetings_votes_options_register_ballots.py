"""meetings: votes, their options, the register of who voted, secret ballots, paper counts

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('vote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('option_set', sa.String(length=16), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('preset', sa.String(length=40), nullable=False),
    sa.Column('quorum_rule', sa.String(length=32), nullable=False),
    sa.Column('majority_base', sa.String(length=32), nullable=False),
    sa.Column('threshold', sa.String(length=32), nullable=False),
    sa.Column('secret_for_elections', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('members_at_close', sa.Integer(), nullable=True),
    sa.Column('present_at_close', sa.Integer(), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('paper_valid', sa.Integer(), nullable=False),
    sa.Column('paper_invalid', sa.Integer(), nullable=False),
    sa.Column('paper_entered_by_id', sa.Integer(), nullable=True),
    sa.Column('paper_entered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ballot_digest', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'], name=op.f('fk_vote_agenda_item_id_agenda_item'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user_account.id'], name=op.f('fk_vote_closed_by_id_user_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_vote_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_vote_meeting_id_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['paper_entered_by_id'], ['user_account.id'], name=op.f('fk_vote_paper_entered_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote'))
    )
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('vote_option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=8), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('approves', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['vote_id'], ['vote.id'], name=op.f('fk_vote_option_vote_id_vote'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_option')),
    sa.UniqueConstraint('vote_id', 'key', name=op.f('uq_vote_option_vote_id_key'))
    )
    op.create_table('vote_voter',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('cast_by_participant_id', sa.Integer(), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('choice', sa.String(length=2000), nullable=True),
    sa.Column('cast_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cast_by_participant_id'], ['participant.id'], name=op.f('fk_vote_voter_cast_by_participant_id_participant'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_vote_voter_entered_by_id_user_account')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_vote_voter_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['vote.id'], name=op.f('fk_vote_voter_vote_id_vote'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_voter')),
    sa.UniqueConstraint('vote_id', 'participant_id', name=op.f('uq_vote_voter_vote_id_participant_id'))
    )
    with op.batch_alter_table('vote_voter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_voter_vote_id'), ['vote_id'], unique=False)

    op.create_table('vote_ballot',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=2000), nullable=False),
    sa.Column('salt', sa.String(length=32), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['vote_id'], ['vote.id'], name=op.f('fk_vote_ballot_vote_id_vote'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_ballot'))
    )
    with op.batch_alter_table('vote_ballot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_ballot_vote_id'), ['vote_id'], unique=False)

    op.create_table('vote_paper_count',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('option_key', sa.String(length=8), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['vote_id'], ['vote.id'], name=op.f('fk_vote_paper_count_vote_id_vote'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vote_id', 'option_key', name=op.f('pk_vote_paper_count'))
    )


def downgrade():
    op.drop_table('vote_paper_count')
    with op.batch_alter_table('vote_ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_ballot_vote_id'))
    op.drop_table('vote_ballot')
    with op.batch_alter_table('vote_voter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_voter_vote_id'))
    op.drop_table('vote_voter')
    op.drop_table('vote_option')
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_meeting_id'))
    op.drop_table('vote')
