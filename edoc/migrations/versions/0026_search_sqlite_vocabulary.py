"""search: SQLite keeps the vocabulary of its FTS5 index (search_fts_terms), so a long last word expands lazily

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 17:20:00

The last word of a query is a prefix. FTS5 answers a prefix it has no prefix index for (0023 made them for 2 and
3 characters) by merging the whole doclist of every word it starts before returning the first row: ``cong doan*``
took 15-160 ms at 100,000 documents (doan, doanh: 99 % of them). ``"cong" AND ("doan" OR "doanh")`` took 0.4-1.5
ms, as FTS5 reads an OR lazily, in rowid order, and stops at the window. ``search_fts_terms`` holds every folded
word of the entries, filled here, then kept by edoc.search.index; edoc.search.backends expands a last word of 4 or
more letters through it. The ``search_fts`` prefix of its name keeps it out of Alembic's comparison with the
models, as the FTS5 table is. PostgreSQL: nothing.
"""
import sqlalchemy as sa
from alembic import op

from edoc.search.text import terms_of

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE search_fts_terms (term TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID")
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, reference, title, content FROM search_entry WHERE id > :last "
                                    "ORDER BY id LIMIT 2000"), {"last": last}).all()
        if not rows:
            break
        words: set[str] = set()
        for row in rows:
            for part in row[1:]:
                words |= terms_of(part or "")
        if words:
            bind.execute(sa.text("INSERT OR IGNORE INTO search_fts_terms (term) VALUES (:term)"),
                         [{"term": w} for w in sorted(words)])
        last = rows[-1][0]


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts_terms")
