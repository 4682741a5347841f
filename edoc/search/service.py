"""Searching (``search``), and keeping the index whole (``reindex``, ``set_file_text``).

Access is decided in SQL: an entry is fetched, counted and ranked only if one of the user's keys
(``user_keys``) is among the keys its owner's policy gave it, within the user's organisation. A secret document
a user may not read is therefore never a result, a count or a rank for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup
from sqlalchemy import and_, delete, exists, func, select
from sqlalchemy.orm import Session

from edoc.accounts.models import User
from edoc.core.db import chunked, commit, db
from edoc.core.errors import ValidationFailed
from edoc.search import backends, registry
from edoc.search.index import write_entries
from edoc.search.models import FileText, SearchAccess, SearchEntry, SearchEntryFile
from edoc.search.text import MAX_QUERY_CHARS, Query, QueryTooLong, Ranker, highlight, parse_query

PAGE_SIZE = 20
COUNT_CAP = 1000
"""Counted up to this many: "hơn 1000 kết quả" says enough, and counting every match of a common word costs."""
SNIPPET_CHARS = 240
RANK_WINDOW = COUNT_CAP + 1
"""Ranked among at most this many matches, the most recently indexed first, which are also the count (plus one
to say "more than"): ranking every match of a common word (90,000 of 100,000 documents) costs a read of them
all, and such a query is too vague for its rank to matter. Filters and access are applied before the window, so
it always holds what the user may read."""


def user_keys(user: User) -> list[str]:
    """The keys a user reads with: their own, and their roles'. Owners' policies give entries these keys."""
    return [f"u:{user.id}", *sorted(f"r:{role.value}" for role in user.roles)]


@dataclass
class Filters:
    """Lọc: every field optional."""

    kind: str = ""
    year: int | None = None
    type_code: str = ""
    unit_id: int | None = None
    signer_id: int | None = None
    status: str = ""
    urgency: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @property
    def any(self) -> bool:
        return any(v not in (None, "") for v in vars(self).values())


@dataclass
class Hit:
    kind: str
    kind_label: str
    object_id: int
    url: str
    reference: Markup
    title: Markup
    passage: Markup
    type_code: str
    status: str
    status_label: str
    urgency: str
    secret: bool
    doc_date: date | None
    rank: float

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "id": self.object_id, "url": self.url, "reference": str(self.reference),
                "title": str(self.title), "passage": str(self.passage), "type": self.type_code,
                "status": self.status, "status_label": self.status_label, "urgency": self.urgency or None,
                "secret": self.secret, "date": self.doc_date.isoformat() if self.doc_date else None,
                "rank": round(self.rank, 6)}


@dataclass
class Results:
    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    more_than: bool = False
    """``total`` is a floor: there are more than ``COUNT_CAP``."""
    page: int = 1
    message: str = ""
    """Why nothing was searched (an empty query, only operators): shown instead of results."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def parse(raw: str) -> Query:
    """The query, or a ValidationFailed (400) saying why it cannot be: too long."""
    try:
        return parse_query(raw)
    except QueryTooLong as exc:
        raise ValidationFailed(str(exc), field="q") from None


def _filtered(user: User, filters: Filters) -> list:
    where = [SearchEntry.organisation_id == user.organisation_id,
             exists().where(SearchAccess.entry_id == SearchEntry.id, SearchAccess.key.in_(user_keys(user)))]
    if filters.kind:
        where.append(SearchEntry.kind == filters.kind)
    if filters.year:
        where.append(SearchEntry.doc_date.between(date(filters.year, 1, 1), date(filters.year, 12, 31)))
    if filters.type_code:
        where.append(SearchEntry.type_code == filters.type_code)
    if filters.unit_id:
        where.append(SearchEntry.unit_id == filters.unit_id)
    if filters.signer_id:
        where.append(SearchEntry.signer_id == filters.signer_id)
    if filters.status:
        where.append(SearchEntry.status == filters.status)
    if filters.urgency:
        where.append(SearchEntry.urgency == filters.urgency)
    if filters.date_from:
        where.append(SearchEntry.doc_date >= filters.date_from)
    if filters.date_to:
        where.append(SearchEntry.doc_date <= filters.date_to)
    return where


def search(user: User, raw_query: str, filters: Filters | None = None, *, page: int = 1,
           page_size: int = PAGE_SIZE) -> Results:
    """The entries ``user`` may read that match ``raw_query`` and ``filters``, best first, with their passage.

    A query of only operators or punctuation, with no filter, searches nothing and says so; a query longer than
    ``MAX_QUERY_CHARS`` is a ValidationFailed."""
    filters = filters or Filters()
    query = parse(raw_query)
    results = Results(query=raw_query, page=max(1, page))
    if query.empty and not filters.any:
        results.message = ("Nhập từ khóa (số, ký hiệu, trích yếu, nội dung, người ký...) hoặc chọn bộ lọc."
                           if not raw_query.strip() else
                           "Từ khóa chỉ gồm dấu và ký hiệu, không có chữ hay số để tìm.")
        return results
    rows, total = run(user, query, filters, offset=(results.page - 1) * page_size, limit=page_size)
    results.total, results.more_than = min(total, COUNT_CAP), total > COUNT_CAP
    results.hits = [_hit(entry, rank, query) for entry, rank in rows]
    return results


def run(user: User, query: Query, filters: Filters, *, offset: int = 0, limit: int = PAGE_SIZE,
        count: bool = True) -> tuple[list[tuple[SearchEntry, float]], int]:
    """(entries with their rank, how many match up to ``COUNT_CAP`` + 1).

    With words: the newest ``RANK_WINDOW`` readable matches (``backends.matching``: id, số/ký hiệu, trích yếu)
    are the count and the ranking window at once; they are ranked in Python (``text.Ranker``), the page is cut
    and only its entries are loaded whole."""
    where = _filtered(user, filters)
    if query.empty:
        ordered = (select(SearchEntry).where(*where)
                   .order_by(SearchEntry.doc_date.desc().nulls_last(), SearchEntry.id.desc()))
        entries = db.session.execute(ordered.offset(offset).limit(limit)).scalars().all()
        total = 0
        if count:
            capped = select(SearchEntry.id).where(*where).limit(COUNT_CAP + 1).subquery()
            total = db.session.execute(select(func.count()).select_from(capped)).scalar_one()
        return [(entry, 0.0) for entry in entries], total
    window = backends.matching(db.session, query, where, limit=RANK_WINDOW)
    ranks = Ranker(query).ranks(window)
    newest = {entry_id: position for position, (entry_id, _ref, _title) in enumerate(window)}
    # best first; ties newest first (the window is newest first)
    ranked = sorted(ranks, key=lambda i: (-ranks[i], newest[i]))
    page = ranked[offset:offset + limit]
    loaded = {e.id: e for e in db.session.execute(select(SearchEntry).where(SearchEntry.id.in_(page))).scalars()}
    return [(loaded[i], ranks[i]) for i in page if i in loaded], len(window)


def _hit(entry: SearchEntry, rank: float, query: Query) -> Hit:
    indexer = registry.get(entry.kind)
    return Hit(kind=entry.kind, kind_label=indexer.label if indexer else entry.kind, object_id=entry.object_id,
               url=indexer.url(entry.object_id) if indexer else "",
               reference=highlight(entry.reference, query), title=highlight(entry.title, query),
               passage=highlight(entry.content, query, width=SNIPPET_CHARS) if entry.content else Markup(""),
               type_code=entry.type_code, status=entry.status,
               status_label=(indexer.statuses.get(entry.status, entry.status) if indexer else entry.status),
               urgency=entry.urgency, secret=entry.secret, doc_date=entry.doc_date, rank=rank)


def matching_ids(user: User, raw_query: str, kind: str, *, limit: int = 300) -> list[int]:
    """The ids of ``kind``'s objects ``user`` may read that match, best first: for a list's own search box."""
    query = parse(raw_query)
    if query.empty:
        return []
    rows, _ = run(user, query, Filters(kind=kind), limit=limit, count=False)
    return [entry.object_id for entry, _rank in rows]


# --- keeping the index whole ---------------------------------------------------------------------------------

def set_file_text(file_id: int, text: str, *, source: str = "ocr") -> int:
    """A file's text arrived later (OCR of a scan): keep it and build the entries that hold the file again, in
    the caller's transaction. Returns how many entries will be rebuilt."""
    session = db.session
    row = session.get(FileText, file_id)
    if row is None:
        session.add(FileText(file_id=file_id, text=text, source=source))
    else:
        row.text, row.source = text, source
    owners = session.execute(select(SearchEntry.kind, SearchEntry.object_id).join(
        SearchEntryFile, and_(SearchEntryFile.entry_id == SearchEntry.id, SearchEntryFile.file_id == file_id))).all()
    for kind, object_id in owners:
        registry.mark(session, kind, object_id)
    return len(owners)


def reindex(kinds: Iterable[str] | None = None, *, batch: int = 200,
            progress: Callable[[int], None] | None = None) -> int:
    """Build every entry of ``kinds`` (all registered) again, committing each ``batch``; entries whose object is
    gone are removed. ``progress`` is told how many were done after each batch. Returns the number built."""
    session: Session = db.session
    chosen = [registry.get(k) for k in (kinds or registry.indexers())]
    done = 0
    for indexer in chosen:
        if indexer is None:
            continue
        ids = sorted(set(indexer.all_ids()))
        for part in chunked(ids, batch):
            loaded = indexer.preload(part) if indexer.preload else []
            write_entries(session, [(indexer.kind, i) for i in part])
            del loaded
            commit()  # each batch kept: a reindex stopped half-way keeps what it built
            done += len(part)
            if progress:
                progress(len(part))
        known = set(ids)
        stale = [i for i in session.execute(select(SearchEntry.object_id).where(
            SearchEntry.kind == indexer.kind)).scalars() if i not in known]
        for part in chunked(stale):
            session.execute(delete(SearchEntry).where(SearchEntry.kind == indexer.kind,
                                                      SearchEntry.object_id.in_(part)))
        commit()
    return done


def count_to_reindex(kinds: Iterable[str] | None = None) -> int:
    return sum(len(list(ind.all_ids())) for k in (kinds or registry.indexers()) if (ind := registry.get(k)))


__all__ = ["MAX_QUERY_CHARS", "Filters", "Hit", "Results", "matching_ids", "reindex", "search", "set_file_text",
           "user_keys"]
