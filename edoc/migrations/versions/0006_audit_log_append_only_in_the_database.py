"""audit: the log is append-only in the database; the chain's head row is made here, not at the first write

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00.000000

Triggers refuse UPDATE and DELETE on audit_entry, DELETE on audit_head, and any change of audit_head that does
not move the chain forward. They stop a mistaken statement or a compromised application account that cannot
alter the schema; someone who can drop them can edit rows, and `edoc audit verify` still finds that through the
hash chain. TRUNCATE is left alone (row triggers do not see it): the test suite empties every table between
tests, and a truncated log is as visible to an operator as a dropped one.

The SQL is written out here, not imported from the application, so this revision means the same thing for ever.
On SQLite, a later migration that rebuilds audit_entry or audit_head (batch "move and copy") drops their
triggers with the old table and must create them again.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64

POSTGRESQL_UP = [
    """
    CREATE FUNCTION audit_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP;
    END
    $$
    """,
    """
    CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()
    """,
    """
    CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'audit_head is append-only: DELETE refused';
        END IF;
        IF NEW.id <> OLD.id OR NEW.seq <= OLD.seq THEN
            RAISE EXCEPTION 'audit_head is append-only: it only moves forward (seq % to %)', OLD.seq, NEW.seq;
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only()
    """,
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_head",
    "DROP FUNCTION IF EXISTS audit_head_forward_only()",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
    "DROP FUNCTION IF EXISTS audit_entry_refuse_change()",
]

SQLITE_UP = [
    """
    CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
    BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: UPDATE refused'); END
    """,
    """
    CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
    BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: DELETE refused'); END
    """,
    """
    CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    BEGIN SELECT RAISE(ABORT, 'audit_head is append-only: DELETE refused'); END
    """,
    """
    CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
    WHEN NEW.id <> OLD.id OR NEW.seq <= OLD.seq
    BEGIN SELECT RAISE(ABORT, 'audit_head is append-only: it only moves forward'); END
    """,
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_head_forward_only",
    "DROP TRIGGER IF EXISTS audit_head_no_delete",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
]


def _dialect() -> str:
    name = op.get_bind().dialect.name
    if name not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"no audit triggers written for {name}")
    return name


def upgrade() -> None:
    # The head row exists before the first write: created lazily, two first writers on PostgreSQL would both
    # find it missing (SELECT ... FOR UPDATE locks nothing that does not exist), both insert it, and one would
    # fail. A database that already has entries keeps its head (made by its first write).
    op.execute(f"INSERT INTO audit_head (id, seq, last_hash) SELECT 1, 0, '{GENESIS_HASH}' "
               "WHERE NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1)")
    for statement in POSTGRESQL_UP if _dialect() == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    # The head row stays: it is what the application made lazily before this revision.
    for statement in POSTGRESQL_DOWN if _dialect() == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
