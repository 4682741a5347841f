"""The seam between the databases: how a parsed query matches and ranks entries.

PostgreSQL: the generated ``search_vector`` (``edoc_search_vector``: unaccent, punctuation to spaces, weights A
for số/ký hiệu, B for trích yếu, C for the rest) against ``to_tsquery('simple', ...)``, ranked by ``ts_rank``.
SQLite: the FTS5 table ``search_fts`` (rowid = entry id), ranked by ``bm25`` with the same column weights.
Terms are letters and digits only (``text.parse_query``), so neither query language's syntax can be injected.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table, text

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


RANK_WINDOW = 1001
"""Ranked among at most this many matches (the count's cap, plus one to say "more than"), the most recently
indexed first: ranking every match of a common word
(90,000 of 100,000 documents) costs a scan of them all, and such a query is too vague for its rank to matter.
Filters and access are applied before the window, so it always holds what the user may read."""


def matches(dialect: str, query: Query, where: list[ColumnElement[bool]], *, limit: int) -> Select:
    """(entry_id, rank) of the newest ``limit`` entries satisfying ``where`` that match ``query``.

    SQLite: the FTS table is the only table of the outer query, so it drives (in rowid order, newest first, and
    stops at ``limit``); the entry's filters and access are a correlated EXISTS on its primary key. Joined the
    other way SQLite's planner walked the organisation's entries and ran MATCH for each (seconds). ``bm25`` is
    computed for the rows that come out only."""
    if dialect == "postgresql":
        vector = literal_column("search_entry.search_vector")
        tsquery = func.to_tsquery(text("'simple'::regconfig"), postgres_tsquery(query))
        newest = (select(SearchEntry.id).where(vector.op("@@")(tsquery), *where)
                  .order_by(SearchEntry.id.desc()).limit(limit).subquery())
        # weights for {D, C, B, A}: content, trích yếu, số/ký hiệu
        weights = text(f"'{{0.0, {CONTENT_WEIGHT / REFERENCE_WEIGHT}, {TITLE_WEIGHT / REFERENCE_WEIGHT}, "
                       f"1.0}}'::float4[]")
        return select(SearchEntry.id.label("entry_id"),
                      func.ts_rank(weights, vector, tsquery).label("rank")).join(newest, newest.c.id == SearchEntry.id)
    if dialect == "sqlite":
        fts = literal_column("search_fts")
        readable = select(SearchEntry.id).where(SearchEntry.id == _FTS.c.rowid, *where).exists()
        return (select(_FTS.c.rowid.label("entry_id"),
                       (-func.bm25(fts, REFERENCE_WEIGHT, TITLE_WEIGHT, CONTENT_WEIGHT)).label("rank"))
                .where(fts.op("MATCH")(sqlite_match(query)), readable)
                .order_by(_FTS.c.rowid.desc()).limit(limit))
    raise NotImplementedError(f"search: no full-text search for the {dialect} dialect")
