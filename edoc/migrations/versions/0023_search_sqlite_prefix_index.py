"""search: SQLite's FTS5 table keeps prefix indexes of 2 and 3 characters (prefix='2 3')

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 14:00:00

The last word of a query is a prefix while the user types ("cong doa"). Without a prefix index FTS5 merges the
doclists of every term starting so ("va*": va, vai, van, vang, vao, ...) for each query: 20-70 ms at 100,000
documents, most of the search's p95 (bench/search.py). With prefix indexes of 2 and 3 characters such a prefix is
one doclist (under 1 ms); longer prefixes expand to few terms. The index about doubles (97 → 213 MB at 100,000
documents). A one-letter last word is taken whole (``text.parse_query``), so no 1-character prefix index.

The table is made again and filled from search_entry (contentless: search_entry holds the text); the triggers of
0008 name the table, not its definition, and stay. PostgreSQL: nothing (its prefix search is the GIN index's).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def _dj(column: str) -> str:
    return f"replace(replace({column}, 'đ', 'd'), 'Đ', 'D')"


def _remake(prefix: str) -> None:
    op.execute("DROP TABLE IF EXISTS search_fts")
    op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(reference, title, content, content='', "
               f"tokenize='unicode61 remove_diacritics 2'{prefix})")
    op.execute("INSERT INTO search_fts(rowid, reference, title, content) "
               f"SELECT id, {_dj('reference')}, {_dj('title')}, {_dj('content')} FROM search_entry")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _remake(", prefix='2 3'")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _remake("")
