"""search: PostgreSQL keeps the tsvector in the entry's row and the text out of it (column storage)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03 20:00:00

A word in 2-10 % of the entries is found by walking ``pk_search_entry`` newest first, testing ``@@`` on each
entry until 1,001 match (10,000-35,000 entries at 100,000). Each test read the entry's vector (1.9 kB on average)
from TOAST, two more buffers an entry, since rows holding the text inline (1.1 kB) and the vector were over
PostgreSQL's 2 kB threshold and the vector was the column moved out. The walk needs the vector and never the
text (read for the 20 entries of a page): the vector is kept in the row (``STORAGE MAIN``: moved out only when
the row would not fit in a page, a document with long attachments) and the text out of it (``EXTERNAL``).
Measured at 100,000 entries (bench/search.py's corpus): the walk's statement took half the time (e.g. 47 → 23
ms), the page's p95 38-49 → 20-22 ms at load ~3.

Rows are written again here (``content || ''``: a new value, so stored with the new storage; the generated vector
is computed again with it): about 40 s at 100,000 entries. SQLite: nothing (FTS5 has its own storage).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_entry ALTER COLUMN search_vector SET STORAGE MAIN, "
                   "ALTER COLUMN content SET STORAGE EXTERNAL")
        op.execute("UPDATE search_entry SET content = content || ''")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_entry ALTER COLUMN search_vector SET STORAGE EXTENDED, "
                   "ALTER COLUMN content SET STORAGE EXTENDED")
