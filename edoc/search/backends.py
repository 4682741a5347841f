"""The seam between the databases: how a parsed query matches and ranks entries.

PostgreSQL: the generated ``search_vector`` (``edoc_search_vector``: unaccent, punctuation to spaces, weights A
for số/ký hiệu, B for trích yếu, C for the rest) against ``to_tsquery('simple', ...)``, ranked by ``ts_rank``.
SQLite: the FTS5 table ``search_fts`` (rowid = entry id), ranked by ``bm25`` with the same column weights.
Terms are letters and digits only (``text.parse_query``), so neither query language's syntax can be injected.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, column, func, literal_column, table, text

from edoc.search.models import SearchEntry
from edoc.search.text import Query

REFERENCE_WEIGHT, TITLE_WEIGHT, CONTENT_WEIGHT = 10.0, 4.0, 1.0
_FTS = table("search_fts", column("rowid"))


def postgres_tsquery(query: Query) -> str:
    """``445/KH cong doan`` → ``'445' <-> 'kh':* & 'cong' & 'doan'``: a chunk's terms as a phrase."""
    parts = []
    for phrase in query.phrases:
        terms = [f"'{t}'" for t in phrase.terms]
        if phrase.prefix:
            terms[-1] += ":*"
        parts.append("(" + " <-> ".join(terms) + ")" if len(terms) > 1 else terms[0])
    return " & ".join(parts)


def sqlite_match(query: Query) -> str:
    """``445/KH cong doan`` → ``"445 kh"* "cong" "doan"``: phrases, implicitly AND-ed."""
    return " ".join(f'"{" ".join(p.terms)}"' + ("*" if p.prefix else "") for p in query.phrases)


def apply_match(stmt: Select, dialect: str, query: Query) -> tuple[Select, ColumnElement[float]]:
    """``stmt`` (over ``SearchEntry``) narrowed to the entries matching ``query``, and their rank (higher is
    better)."""
    if dialect == "postgresql":
        vector = literal_column("search_entry.search_vector")
        tsquery = func.to_tsquery(text("'simple'::regconfig"), postgres_tsquery(query))
        # weights for {D, C, B, A}: content, trích yếu, số/ký hiệu
        weights = text(f"'{{0.0, {CONTENT_WEIGHT / REFERENCE_WEIGHT}, {TITLE_WEIGHT / REFERENCE_WEIGHT}, "
                       f"1.0}}'::float4[]")
        rank = func.ts_rank(weights, vector, tsquery)
        return stmt.where(vector.op("@@")(tsquery)), rank
    if dialect == "sqlite":
        fts = literal_column("search_fts")
        rank = -func.bm25(fts, REFERENCE_WEIGHT, TITLE_WEIGHT, CONTENT_WEIGHT)
        stmt = stmt.join(_FTS, _FTS.c.rowid == SearchEntry.id)
        return stmt.where(fts.op("MATCH")(sqlite_match(query))), rank
    raise NotImplementedError(f"search: no full-text search for the {dialect} dialect")
