"""search: one index (search_entry, its access keys and files, files' extracted text); PostgreSQL full-text
search over unaccent with a GIN index, SQLite FTS5 kept by triggers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:40:00.000000

PostgreSQL: the `unaccent` extension (trusted since PostgreSQL 13, so a database owner may create it), an
IMMUTABLE wrapper around it (`unaccent(text)` is only STABLE, because its dictionary could change, so it cannot
serve in an index or a generated column), `edoc_search_vector(reference, title, content)` (punctuation turned to
spaces first: the default parser reads "445/KH-LĐLĐ" as a file path), a generated tsvector column and its GIN index.

SQLite: a contentless FTS5 table (`unicode61 remove_diacritics 2`) whose rowid is search_entry.id, kept by
triggers that map đ/Đ to d/D (the tokenizer does not fold them). Contentless: the text is stored once, in
search_entry; the delete trigger gives FTS5 the old values it needs. A later migration that rebuilds search_entry
in batch mode ("move and copy") drops these triggers with the old table and must create them again.

The SQL is written out here, not imported from the application, so this revision means the same thing for ever.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# Punctuation that separates terms: the same characters the application's query parser treats as separators.
_PUNCTUATION = "/-.,;:()[]{}\"'_+&|!<>@#$%^*=~?\\`–—“”‘’…«»"
_PUNCTUATION_SQL = _PUNCTUATION.replace("'", "''")
_SPACES = " " * len(_PUNCTUATION)

POSTGRESQL_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """
    CREATE FUNCTION edoc_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
    """,
    f"""
    CREATE FUNCTION edoc_search_text(text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_tsvector('simple'::regconfig,
                             translate(edoc_unaccent(coalesce($1, '')), '{_PUNCTUATION_SQL}', '{_SPACES}')) $$
    """,
    """
    CREATE FUNCTION edoc_search_vector(reference text, title text, content text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT setweight(edoc_search_text($1), 'A') || setweight(edoc_search_text($2), 'B')
                 || setweight(edoc_search_text($3), 'C') $$
    """,
    """
    ALTER TABLE search_entry ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (edoc_search_vector(reference, title, content)) STORED
    """,
    "CREATE INDEX ix_search_entry_vector ON search_entry USING gin (search_vector)",
]
POSTGRESQL_DOWN = [
    "DROP INDEX IF EXISTS ix_search_entry_vector",
    "ALTER TABLE search_entry DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS edoc_search_vector(text, text, text)",
    "DROP FUNCTION IF EXISTS edoc_search_text(text)",
    "DROP FUNCTION IF EXISTS edoc_unaccent(text)",
]


def _dj(column: str) -> str:
    return f"replace(replace({column}, 'đ', 'd'), 'Đ', 'D')"


def _values(row: str) -> str:
    return f"{_dj(row + '.reference')}, {_dj(row + '.title')}, {_dj(row + '.content')}"


SQLITE_UP = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(reference, title, content, content='', "
    "tokenize='unicode61 remove_diacritics 2')",
    f"""
    CREATE TRIGGER search_entry_fts_insert AFTER INSERT ON search_entry BEGIN
        INSERT INTO search_fts(rowid, reference, title, content) VALUES (new.id, {_values('new')});
    END
    """,
    f"""
    CREATE TRIGGER search_entry_fts_delete AFTER DELETE ON search_entry BEGIN
        INSERT INTO search_fts(search_fts, rowid, reference, title, content)
        VALUES ('delete', old.id, {_values('old')});
    END
    """,
    f"""
    CREATE TRIGGER search_entry_fts_update AFTER UPDATE OF reference, title, content ON search_entry BEGIN
        INSERT INTO search_fts(search_fts, rowid, reference, title, content)
        VALUES ('delete', old.id, {_values('old')});
        INSERT INTO search_fts(rowid, reference, title, content) VALUES (new.id, {_values('new')});
    END
    """,
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_entry_fts_update",
    "DROP TRIGGER IF EXISTS search_entry_fts_delete",
    "DROP TRIGGER IF EXISTS search_entry_fts_insert",
    "DROP TABLE IF EXISTS search_fts",
]


def upgrade():
    op.create_table(
        'search_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('object_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=255), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('type_code', sa.String(length=16), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('signer_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('urgency', sa.String(length=16), nullable=False),
        sa.Column('secret', sa.Boolean(), nullable=False),
        sa.Column('doc_date', sa.Date(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_search_entry_organisation_id_organisation'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_entry')),
        sa.UniqueConstraint('kind', 'object_id', name=op.f('uq_search_entry_kind_object_id')),
    )
    op.create_index('ix_search_entry_org_kind_date', 'search_entry', ['organisation_id', 'kind', 'doc_date'])
    op.create_table(
        'search_access',
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['search_entry.id'],
                                name=op.f('fk_search_access_entry_id_search_entry'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('entry_id', 'key', name=op.f('pk_search_access')),
    )
    op.create_index('ix_search_access_key_entry', 'search_access', ['key', 'entry_id'])
    op.create_table(
        'search_entry_file',
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['search_entry.id'],
                                name=op.f('fk_search_entry_file_entry_id_search_entry'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'],
                                name=op.f('fk_search_entry_file_file_id_stored_file'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('entry_id', 'file_id', name=op.f('pk_search_entry_file')),
    )
    op.create_index('ix_search_entry_file_file', 'search_entry_file', ['file_id'])
    op.create_table(
        'search_file_text',
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'],
                                name=op.f('fk_search_file_text_file_id_stored_file'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('file_id', name=op.f('pk_search_file_text')),
    )
    dialect = op.get_bind().dialect.name
    for statement in {"postgresql": POSTGRESQL_UP, "sqlite": SQLITE_UP}.get(dialect, []):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in {"postgresql": POSTGRESQL_DOWN, "sqlite": SQLITE_DOWN}.get(dialect, []):
        op.execute(statement)
    op.drop_table('search_file_text')
    op.drop_index('ix_search_entry_file_file', table_name='search_entry_file')
    op.drop_table('search_entry_file')
    op.drop_index('ix_search_access_key_entry', table_name='search_access')
    op.drop_table('search_access')
    op.drop_index('ix_search_entry_org_kind_date', table_name='search_entry')
    op.drop_table('search_entry')
