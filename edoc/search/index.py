"""Writing entries, and the session hooks that write them in the transaction of the change.

``after_flush`` notes the objects whose entries a flush touched (through each indexer's ``watch``);
``before_commit`` builds those entries and writes them just before the commit: a document is findable the moment
its change is visible to others, and a rolled-back change leaves the index as it was.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from sqlalchemy import delete, event, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from edoc.core.db import insert_ignore, utcnow
from edoc.files.models import StoredFile
from edoc.search import registry
from edoc.search.backends import add_terms
from edoc.search.extract import extract_text
from edoc.search.models import FileText, SearchAccess, SearchEntry, SearchEntryFile
from edoc.search.registry import PENDING, EntryData

MAX_CONTENT_CHARS = 1_000_000


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def file_texts(session: Session, file_ids: Sequence[int]) -> list[str]:
    """The kept text of each file, extracting (and keeping) what was never extracted."""
    if not file_ids:
        return []
    kept = {row.file_id: row.text for row in session.execute(
        select(FileText).where(FileText.file_id.in_(file_ids))).scalars()}
    for file_id in file_ids:
        if file_id in kept:
            continue
        row = session.get(StoredFile, file_id)
        if row is None:
            continue
        text, source = extract_text(row)
        text = _nfc(text).replace("\x00", "")
        # two transactions indexing the same new file: the second keeps the first one's row, no error
        insert_ignore(FileText, {"file_id": file_id, "text": text, "source": source, "extracted_at": utcnow()},
                      conflict_columns=["file_id"])
        kept[file_id] = text
    return [kept[f] for f in file_ids if kept.get(f)]


def _values(session: Session, kind: str, object_id: int, data: EntryData) -> dict[str, object]:
    extra = file_texts(session, list(dict.fromkeys(data.file_ids)))
    content = "\n".join(p for p in [_nfc(data.content), *extra] if p)[:MAX_CONTENT_CHARS]
    return {
        "kind": kind, "object_id": object_id, "organisation_id": data.organisation_id,
        "reference": _nfc(data.reference)[:255], "title": _nfc(data.title), "content": content,
        "type_code": data.type_code[:16], "unit_id": data.unit_id, "signer_id": data.signer_id,
        "status": data.status[:32], "urgency": data.urgency[:16], "secret": data.secret, "doc_date": data.doc_date,
        "updated_at": utcnow(),
    }


def _upsert(session: Session, rows: list[dict[str, object]]) -> dict[tuple[str, int], int]:
    """Insert or update the entries (one statement, ``ON CONFLICT (kind, object_id) DO UPDATE`` on both
    databases: two transactions indexing the same new object do not collide); their ids by (kind, object id)."""
    dialect = session.get_bind(mapper=SearchEntry).dialect.name
    insert_of = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert_of is None:
        raise NotImplementedError(f"search: no upsert for the {dialect} dialect")
    stmt = insert_of(SearchEntry)
    stmt = stmt.on_conflict_do_update(
        index_elements=["kind", "object_id"],
        set_={c: stmt.excluded[c] for c in rows[0] if c not in {"kind", "object_id"}},
    ).returning(SearchEntry.id, SearchEntry.kind, SearchEntry.object_id)
    return {(kind, object_id): entry_id for entry_id, kind, object_id in session.execute(stmt, rows)}


def write_entries(session: Session, keys: Sequence[tuple[str, int]]) -> int:
    """Build the entries of ``keys`` and write them (None from ``build``: removed), with Core statements (they mark
    nothing for the hooks, and they fire the SQLite FTS triggers row by row). Kinds nobody registered are
    skipped. Returns how many were built."""
    rows: list[dict[str, object]] = []
    access: dict[tuple[str, int], set[str]] = {}
    files: dict[tuple[str, int], list[int]] = {}
    gone: list[tuple[str, int]] = []
    for kind, object_id in keys:
        indexer = registry.get(kind)
        if indexer is None:
            continue
        data = indexer.build(object_id)
        if data is None:
            gone.append((kind, object_id))
            continue
        rows.append(_values(session, kind, object_id, data))
        access[(kind, object_id)] = data.access
        files[(kind, object_id)] = sorted(set(data.file_ids))
    for kind, object_id in gone:
        session.execute(delete(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.object_id == object_id))
    if not rows:
        return len(gone)
    ids = _upsert(session, rows)
    if session.get_bind(mapper=SearchEntry).dialect.name == "sqlite":
        add_terms(session, (str(row[c]) for row in rows for c in ("reference", "title", "content")))
    entry_ids = list(ids.values())
    session.execute(delete(SearchAccess).where(SearchAccess.entry_id.in_(entry_ids)))
    session.execute(delete(SearchEntryFile).where(SearchEntryFile.entry_id.in_(entry_ids)))
    access_rows = [{"entry_id": ids[key], "key": k} for key, keys_ in access.items() for k in sorted(keys_)]
    if access_rows:
        session.execute(insert(SearchAccess), access_rows)
    file_rows = [{"entry_id": ids[key], "file_id": f} for key, file_ids in files.items() for f in file_ids]
    if file_rows:
        session.execute(insert(SearchEntryFile), file_rows)
    return len(rows) + len(gone)


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    indexers = registry.indexers()
    if not indexers:
        return
    pending: set[tuple[str, int]] = session.info.setdefault(PENDING, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        for indexer in indexers.values():
            owner_ids = indexer.watch.get(type(obj))
            if owner_ids is None:
                continue
            pending.update((indexer.kind, i) for i in owner_ids(obj) if i is not None)


def _before_commit(session: Session) -> None:
    # Writing entries may load and flush, and mark more: loop until nothing is left (bounded: an entry's own rows
    # are written with Core statements, which mark nothing).
    for _ in range(5):
        session.flush()
        pending = session.info.pop(PENDING, set())
        if not pending:
            return
        write_entries(session, sorted(pending))


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


def install() -> None:
    """Listen on every session, once per process (the app's and scripts' alike)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_rollback", _after_rollback)
