"""incoming: the lead unit kept on the document (lead_unit_id) and the board's covering index

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:20:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('incoming_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_unit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_incoming_document_lead_unit_id_unit'), 'unit',
                                    ['lead_unit_id'], ['id'])
        batch_op.create_index('ix_incoming_document_board', [
            'organisation_id', 'year', 'lead_unit_id', 'received_on', 'status', 'deadline', 'finished_on', 'number',
            'presented_to_id', 'registered_by_id', 'directed_by_id', 'secrecy'])
    # The lead task's unit, or its person's unit, as the board computed it until now.
    op.execute(
        "UPDATE incoming_document SET lead_unit_id = ("
        " SELECT coalesce(task.unit_id, user_account.unit_id) FROM task"
        " LEFT JOIN user_account ON user_account.id = task.user_id"
        " WHERE task.subject_kind = 'incoming' AND task.subject_id = incoming_document.id"
        " AND task.role = 'lead' AND task.parent_id IS NULL)"
    )


def downgrade():
    with op.batch_alter_table('incoming_document', schema=None) as batch_op:
        batch_op.drop_index('ix_incoming_document_board')
        batch_op.drop_constraint(batch_op.f('fk_incoming_document_lead_unit_id_unit'), type_='foreignkey')
        batch_op.drop_column('lead_unit_id')
