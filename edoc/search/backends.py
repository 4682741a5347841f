"""The seam between the databases: which entries match a parsed query, newest first.

Both return the newest ``limit`` readable entries that match (id, số/ký hiệu, trích yếu; filters and access
applied inside); ranking is the same Python on both (``text.Ranker``). Terms are letters and digits only
(``text.parse_query``), so neither query language's syntax can be injected.

PostgreSQL: the generated ``search_vector`` (``edoc_search_vector``: unaccent, punctuation to spaces) against
``to_tsquery('simple', ...)``, newest first with a limit: the planner walks ``pk_search_entry`` backwards testing
``@@`` (a common word stops after ~1,100 entries) or, for a rare one, reads the GIN index. SQLite: the FTS5 table
``search_fts`` drives in rowid order, newest first, and stops at ``limit``; a last word of 4 or more letters is
expanded through the vocabulary ``search_fts_terms`` into the words it starts (``doan`` → ``doan OR doanh``),
which FTS5 reads lazily, where its own prefix search (no prefix index beyond 3 characters) merged the whole
doclist of every such word first (15-160 ms for a common one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, column, func, literal_column, select, table, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from edoc.search.models import SearchEntry
from edoc.search.text import Phrase, Query, terms_of

_FTS = table("search_fts", column("rowid"))
_TERMS = table("search_fts_terms", column("term"))

MAX_EXPANSION = 48
"""SQLite: a prefix that starts more words than this is left to FTS5's own prefix search."""
EXPANDED_FROM = 4
"""SQLite: prefixes of 2 and 3 characters have their own FTS5 prefix index (migration 0023); longer ones expand."""


def _ts_phrase(phrase: Phrase, expansion: Sequence[str] | None = None) -> str:
    if expansion is not None:
        head = [f"'{t}'" for t in phrase.terms[:-1]]
        return "(" + " | ".join("(" + " <-> ".join([*head, f"'{word}'"]) + ")" for word in expansion) + ")"
    terms = [f"'{t}'" for t in phrase.terms]
    if phrase.prefix:
        terms[-1] += ":*"
    return "(" + " <-> ".join(terms) + ")" if len(terms) > 1 else terms[0]


def postgres_tsquery(query: Query, expansion: Sequence[str] | None = None) -> str:
    """``445/KH cong doan`` → ``'445' <-> 'kh':* & 'cong' & 'doan':*``: a chunk's terms as a phrase; with the
    last word's ``expansion`` (``doan``, ``doanh``) the last phrase is ``(('doan') | ('doanh'))``."""
    phrases = list(query.phrases)
    return " & ".join([*(_ts_phrase(p) for p in phrases[:-1]), _ts_phrase(phrases[-1], expansion)])


def _fts_phrase(phrase: Phrase, expansion: Sequence[str] | None = None) -> str:
    if expansion is None:
        return f'"{" ".join(phrase.terms)}"' + ("*" if phrase.prefix else "")
    head = phrase.terms[:-1]
    return "(" + " OR ".join(f'"{" ".join((*head, word))}"' for word in expansion) + ")"


def sqlite_match(query: Query, expansion: Sequence[str] | None = None) -> str:
    """``445/KH cong doan`` → ``"445 kh"* AND "cong" AND "doan"``; with the last word's ``expansion``
    (``doan``, ``doanh``) the last phrase is ``("doan" OR "doanh")``."""
    phrases = list(query.phrases)
    parts = [_fts_phrase(p) for p in phrases[:-1]]
    parts.append(_fts_phrase(phrases[-1], expansion))
    return " AND ".join(parts)


def _expansion(session: Session, query: Query, *, shortest: int) -> list[str] | None:
    """The words of the vocabulary the last (prefix) term starts, or None to leave it to the database's prefix
    search: too short, none (nothing has it: the prefix search says so as fast) or more than ``MAX_EXPANSION``."""
    last = query.phrases[-1]
    prefix = last.terms[-1]
    if not last.prefix or len(prefix) < shortest:
        return None
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # the first string past every word starting with prefix
    words = list(session.execute(select(_TERMS.c.term).where(_TERMS.c.term >= prefix, _TERMS.c.term < after)
                                 .order_by(_TERMS.c.term).limit(MAX_EXPANSION + 1)).scalars())
    if not words or len(words) > MAX_EXPANSION:
        return None
    return words


def add_terms(session: Session, texts: Iterable[str]) -> None:
    """SQLite: keep the vocabulary whole (in the caller's transaction, words in order: two writers adding the same new
    words wait for each other in the same order, never in a circle); words are never removed (a word no entry
    holds any more expands to a term that matches nothing)."""
    words: set[str] = set()
    for part in texts:
        words |= terms_of(part)
    if words:
        session.execute(sqlite.insert(_TERMS).on_conflict_do_nothing(), [{"term": w} for w in sorted(words)])


Head = tuple[int, str, str]
"""(entry id, số/ký hiệu, trích yếu): what ranking reads of a match."""


def matching(session: Session, query: Query, where: list[ColumnElement[bool]], *, limit: int) -> list[Head]:
    """The newest ``limit`` entries satisfying ``where`` that match ``query``, newest first, as ``Head``s (read in
    the same statement: the entry's row is visited for its filters anyway)."""
    dialect = session.get_bind(mapper=SearchEntry).dialect.name
    if dialect == "postgresql":
        return _postgres(session, query, where, limit=limit)
    if dialect == "sqlite":
        fts = literal_column("search_fts")
        readable = select(SearchEntry.id).where(SearchEntry.id == _FTS.c.rowid, *where).exists()
        match = sqlite_match(query, _expansion(session, query, shortest=EXPANDED_FROM))
        entry = SearchEntry.__table__.c
        reference = select(entry.reference).where(entry.id == _FTS.c.rowid).scalar_subquery()
        title = select(entry.title).where(entry.id == _FTS.c.rowid).scalar_subquery()
        stmt = (select(_FTS.c.rowid, reference, title).where(fts.op("MATCH")(match), readable)
                .order_by(_FTS.c.rowid.desc()).limit(limit))
        return [(i, ref or "", tit or "") for i, ref, tit in session.execute(stmt)]
    raise NotImplementedError(f"search: no full-text search for the {dialect} dialect")


def _postgres(session: Session, query: Query, where: list[ColumnElement[bool]], *, limit: int) -> list[Head]:
    entry = SearchEntry.__table__.c
    vector = literal_column("search_entry.search_vector")
    tsquery = func.to_tsquery(text("'simple'::regconfig"), postgres_tsquery(query))
    stmt = (select(entry.id, entry.reference, entry.title).where(vector.op("@@")(tsquery), *where)
            .order_by(entry.id.desc()).limit(limit))
    return [(i, ref or "", tit or "") for i, ref, tit in session.execute(stmt)]
