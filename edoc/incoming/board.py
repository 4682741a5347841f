"""The leaders' board: incoming documents of a year received, in progress, done on time, done late and overdue, per
unit (the lead's unit) and per month of arrival. The figures are read from counts kept as documents change
(``board_counts``); each figure links to the list behind it (``documents_for``, the same conditions on the documents
themselves), and ``board_direct`` counts the way the lists select, which the kept counts are tested to equal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, case, extract, func, or_, select

from edoc.accounts.models import User
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.incoming import policy
from edoc.incoming.models import IncomingBoardCount, IncomingDocument, IncomingStatus
from edoc.organisations.models import Unit

KINDS = {
    "received": "Đã tiếp nhận",
    "in_progress": "Đang giải quyết (trong hạn)",
    "on_time": "Giải quyết đúng hạn",
    "late": "Giải quyết quá hạn",
    "overdue": "Quá hạn chưa giải quyết",
}
_DONE = (IncomingStatus.DONE.value, IncomingStatus.FILED.value)
NO_UNIT = 0
"""The "unit" of documents whose lead is a person without a unit, or that have no lead yet. The unit of a lead is
``IncomingDocument.lead_unit_id``, kept when it is assigned: the board reads one table."""


def _condition(kind: str, today: date) -> object:
    d = IncomingDocument
    if kind == "received":
        return d.number.is_not(None)
    if kind == "in_progress":
        return and_(d.status == IncomingStatus.IN_PROGRESS.value, or_(d.deadline.is_(None), d.deadline >= today))
    if kind == "overdue":
        return and_(d.status == IncomingStatus.IN_PROGRESS.value, d.deadline < today)
    if kind == "on_time":
        return and_(d.status.in_(_DONE), or_(d.deadline.is_(None), d.finished_on <= d.deadline))
    if kind == "late":
        return and_(d.status.in_(_DONE), d.finished_on > d.deadline)
    raise ValidationFailed("Loại số liệu không hợp lệ.", field="kind")


def _base(user: User, year: int) -> tuple[Select, ColumnElement[int]]:
    unit = func.coalesce(IncomingDocument.lead_unit_id, NO_UNIT)
    stmt = select(IncomingDocument).where(policy.visible_clause(user), IncomingDocument.year == year,
                                          IncomingDocument.number.is_not(None))
    return stmt, unit


@dataclass
class Board:
    year: int
    totals: dict[str, int]
    by_unit: list[tuple[int, str, dict[str, int]]]
    by_month: dict[int, dict[str, int]]


def _empty() -> tuple[dict[str, int], dict[int, dict[str, int]], dict[int, dict[str, int]]]:
    return dict.fromkeys(KINDS, 0), {}, {m: dict.fromkeys(KINDS, 0) for m in range(1, 13)}


def _add(found: tuple[dict[str, int], dict[int, dict[str, int]], dict[int, dict[str, int]]], unit_id: int,
         month: int, kind: str, value: int) -> None:
    totals, units, months = found
    unit_counts = units.setdefault(unit_id, dict.fromkeys(KINDS, 0))
    for counts in (totals, unit_counts, months[month]):
        counts[kind] += value


def _finish(year: int, found: tuple[dict[str, int], dict[int, dict[str, int]], dict[int, dict[str, int]]]) -> Board:
    totals, units, months = found
    names: dict[int, str] = {uid: name for uid, name in db.session.execute(
        select(Unit.id, Unit.name).where(Unit.id.in_(list(units) or [0])))}
    by_unit = sorted(((uid, names.get(uid, "Chưa giao đơn vị"), c) for uid, c in units.items()),
                     key=lambda item: item[1])
    return Board(year, totals, by_unit, months)


def _count_directly(found: tuple[dict[str, int], dict[int, dict[str, int]], dict[int, dict[str, int]]],
                    stmt: Select, today: date) -> None:
    """Count the documents ``stmt`` selects, grouped by lead unit and day of arrival (the covering index's order,
    no expression per row); the days fold into months here."""
    d = IncomingDocument
    counts = [func.sum(case((_condition(k, today), 1), else_=0)).label(k) for k in KINDS]  # type: ignore[arg-type]
    grouped = stmt.with_only_columns(d.lead_unit_id, d.received_on, *counts)  # type: ignore[attr-defined]
    for row in db.session.execute(grouped.group_by(d.lead_unit_id, d.received_on)).all():
        for k in KINDS:
            if value := int(getattr(row, k) or 0):
                _add(found, row.lead_unit_id or NO_UNIT, row.received_on.month, k, value)


def board_direct(user: User, year: int, *, today: date | None = None) -> Board:
    """The board counted from the documents themselves, linear in the year's documents: what ``board`` must equal
    (its tests compare them) and the benchmark's baseline."""
    today = today or vietnam_today()
    found = _empty()
    _count_directly(found, _base(user, year)[0], today)
    return _finish(year, found)


def board(user: User, year: int, *, today: date | None = None) -> Board:
    """Read from the kept counts (``board_counts``: a few thousand rows whatever the number of documents) plus the
    few documents the user sees beside them, counted directly (``policy.board_split``). Overdue is a handled
    document's deadline day before today, summed here: the counts need no job when the day changes."""
    today = today or vietnam_today()
    kept, beside = policy.board_split(user)
    c = IncomingBoardCount
    handling = c.state == "handling"
    sums = {"received": func.sum(c.count),
            "in_progress": func.sum(case((and_(handling, c.deadline >= today), c.count), else_=0)),
            "on_time": func.sum(case((c.state == "on_time", c.count), else_=0)),
            "late": func.sum(case((c.state == "late", c.count), else_=0)),
            "overdue": func.sum(case((and_(handling, c.deadline < today), c.count), else_=0))}
    rows = db.session.execute(select(c.lead_unit_id, c.month, *(v.label(k) for k, v in sums.items()))
                              .where(kept, c.year == year).group_by(c.lead_unit_id, c.month)).all()
    found = _empty()
    for row in rows:
        if row.received:  # a key whose documents all moved on keeps its row at 0
            for k in KINDS:
                _add(found, row.lead_unit_id, row.month, k, int(getattr(row, k) or 0))
    d = IncomingDocument
    _count_directly(found, select(d).where(beside, d.year == year, d.number.is_not(None)), today)
    return _finish(year, found)


def documents_for(user: User, year: int, kind: str, *, unit_id: int | None = None, month: int | None = None,
                  today: date | None = None, limit: int = 500, offset: int = 0) -> list[IncomingDocument]:
    """The documents behind one figure of the board, a page at a time (counted from the documents themselves, so
    the list is what the viewer may open)."""
    today = today or vietnam_today()
    stmt, unit = _base(user, year)
    stmt = stmt.where(_condition(kind, today))  # type: ignore[arg-type]
    if unit_id is not None:
        stmt = stmt.where(unit == unit_id)  # type: ignore[operator]
    if month is not None:
        stmt = stmt.where(extract("month", IncomingDocument.received_on) == month)
    return list(db.session.execute(stmt.order_by(IncomingDocument.number).limit(limit).offset(offset)).scalars())
