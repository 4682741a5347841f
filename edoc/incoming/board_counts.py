"""The leaders' board kept as counts (``IncomingBoardCount``), so the board reads a few thousand rows instead of
every document of the year (issue 10, item 10: p95 ≤ 50 ms at 100,000 documents).

Kept in one place that no service can forget: a flush hook of the session. Whatever changes an incoming document
(registration, presentation, direction, finishing, filing, return, an edXML recall, the e-mail intake, a test), the
flush that writes it moves the document's count from its old key to its new one in the same transaction, so the
counts commit or roll back with the change. The old key comes from the attributes' history: the columns of the key
are mapped with ``active_history`` (``models``), so their old value is loaded before it is replaced.

Counts written around the ORM (a bulk ``insert``/``update`` on the table: the benchmark's fill) are not seen:
``rebuild`` recounts from the documents (``edoc incoming rebuild-board``; the migration that made the table filled it
the same way)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, and_, case, cast, delete, event, extract, func, insert, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, attributes

from edoc.core.db import db
from edoc.incoming.models import NO_DEADLINE, IncomingBoardCount, IncomingDocument, IncomingStatus

Key = tuple[int, int, int, int, int, bool, str, date]
"""(organisation, year, month, lead unit or 0, presented to or 0, secret, state, deadline or NO_DEADLINE)."""

TRACKED = ("organisation_id", "year", "number", "received_on", "lead_unit_id", "presented_to_id", "secrecy", "status",
           "deadline", "finished_on")
_DONE = (IncomingStatus.DONE.value, IncomingStatus.FILED.value)
_KEY_COLUMNS = ("organisation_id", "year", "month", "lead_unit_id", "presented_to_id", "secret", "state", "deadline")


def state_of(status: str | None, deadline: date | None, finished_on: date | None) -> str:
    """The board's state as ``board._condition`` decides it in SQL (NULLs included: a finished document without a
    finishing day and with a deadline is neither on time nor late there, so ``done`` here)."""
    if status == IncomingStatus.IN_PROGRESS.value:
        return "handling"
    if status in _DONE:
        if deadline is None or (finished_on is not None and finished_on <= deadline):
            return "on_time"
        if finished_on is not None and finished_on > deadline:
            return "late"
        return "done"
    return "open"


def key_of(values: dict[str, Any]) -> Key | None:
    """The key one document's values count under; None for one the board leaves out (no số đến yet)."""
    if values["number"] is None or values["year"] is None or values["received_on"] is None:
        return None
    state = state_of(values["status"], values["deadline"], values["finished_on"])
    deadline = (values["deadline"] or NO_DEADLINE) if state == "handling" else NO_DEADLINE
    return (values["organisation_id"], values["year"], values["received_on"].month, values["lead_unit_id"] or 0,
            values["presented_to_id"] or 0, bool(values["secrecy"]), state, deadline)


def _old_values(doc: IncomingDocument) -> dict[str, Any]:
    old: dict[str, Any] = {}
    for name in TRACKED:
        history = attributes.get_history(doc, name)
        if history.deleted:
            old[name] = history.deleted[0]
        elif history.unchanged:
            old[name] = history.unchanged[0]
        else:  # set from nothing (active history loaded it first): it was NULL
            old[name] = None
    return old


def _changed(doc: IncomingDocument) -> bool:
    return any(attributes.get_history(doc, name).has_changes() for name in TRACKED)


def _apply(session: Session, deltas: Counter[Key]) -> None:
    """Add the deltas, one upsert per key, in key order (two transactions moving counts take rows in one order)."""
    rows = [dict(zip(_KEY_COLUMNS, key, strict=True), count=n) for key, n in sorted(deltas.items()) if n]
    if not rows:
        return
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = IncomingBoardCount.__table__
    for row in rows:
        stmt = dialect.insert(table).values(**row)
        connection.execute(stmt.on_conflict_do_update(index_elements=list(_KEY_COLUMNS),
                                                      set_={"count": table.c.count + stmt.excluded.count}))


def _track(session: Session, _context: object) -> None:
    """After a flush (the session still shows what it wrote and each attribute's history): move each written
    document's count from its old key to its new one."""
    deltas: Counter[Key] = Counter()
    for doc in session.new:
        if isinstance(doc, IncomingDocument) and (key := key_of({n: getattr(doc, n) for n in TRACKED})):
            deltas[key] += 1
    for doc in session.dirty:
        if isinstance(doc, IncomingDocument) and _changed(doc):
            old, new = key_of(_old_values(doc)), key_of({n: getattr(doc, n) for n in TRACKED})
            if old != new:
                if old:
                    deltas[old] -= 1
                if new:
                    deltas[new] += 1
    for doc in session.deleted:
        if isinstance(doc, IncomingDocument) and (key := key_of(_old_values(doc))):
            deltas[key] -= 1
    _apply(session, deltas)


def install() -> None:
    """Listen to every session's flushes (once)."""
    if not event.contains(Session, "after_flush", _track):
        event.listen(Session, "after_flush", _track)


install()


def key_columns() -> list[Any]:
    """The key of ``key_of`` as SQL over ``incoming_document`` (the rebuild's, and the migration's)."""
    d = IncomingDocument
    state = case(
        (d.status == IncomingStatus.IN_PROGRESS.value, "handling"),
        (and_(d.status.in_(_DONE), or_(d.deadline.is_(None), d.finished_on <= d.deadline)), "on_time"),
        (and_(d.status.in_(_DONE), d.finished_on > d.deadline), "late"),
        (d.status.in_(_DONE), "done"),
        else_="open")
    no_deadline = literal(NO_DEADLINE, Date)
    deadline = case((d.status == IncomingStatus.IN_PROGRESS.value, func.coalesce(d.deadline, no_deadline)),
                    else_=no_deadline)
    return [d.organisation_id.label("organisation_id"), d.year.label("year"),
            cast(extract("month", d.received_on), Integer).label("month"),
            func.coalesce(d.lead_unit_id, 0).label("lead_unit_id"),
            func.coalesce(d.presented_to_id, 0).label("presented_to_id"), (d.secrecy != "").label("secret"),
            state.label("state"), deadline.label("deadline")]


def rebuild(organisation_id: int | None = None) -> int:
    """Recount from the documents (all organisations, or one), in the caller's transaction; returns the rows kept."""
    d = IncomingDocument
    gone = delete(IncomingBoardCount)
    keyed = select(*key_columns()).where(d.number.is_not(None), d.year.is_not(None))
    if organisation_id is not None:
        gone = gone.where(IncomingBoardCount.organisation_id == organisation_id)
        keyed = keyed.where(d.organisation_id == organisation_id)
    db.session.execute(gone)
    # Grouped outside: PostgreSQL will not group by an expression whose constants are bound twice.
    per_document = keyed.subquery()
    columns = [per_document.c[name] for name in _KEY_COLUMNS]
    source = select(*columns, func.count().label("count")).group_by(*columns)
    db.session.execute(insert(IncomingBoardCount).from_select([*_KEY_COLUMNS, "count"], source))
    kept = select(func.count()).select_from(IncomingBoardCount)
    if organisation_id is not None:
        kept = kept.where(IncomingBoardCount.organisation_id == organisation_id)
    return int(db.session.execute(kept).scalar_one())  # counted: an INSERT … SELECT's rowcount is -1 on psycopg
