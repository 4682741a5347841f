"""The leaders' board: incoming documents of a year received, in progress, done on time, done late and overdue, per
unit (the lead's unit) and per month of arrival, counted in the database; each figure is a filter of the list
behind it (``documents_for``), so a number and the documents it links to come from one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, case, extract, func, or_, select

from edoc.accounts.models import User
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.incoming import policy
from edoc.incoming.models import IncomingDocument, IncomingStatus
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


def board(user: User, year: int, *, today: date | None = None) -> Board:
    """Counted in one pass over the board's covering index, grouped by lead unit and day of arrival (index
    order, no expression per row); the days fold into months here, a few hundred rows."""
    today = today or vietnam_today()
    stmt, _unit = _base(user, year)
    d = IncomingDocument
    counts = [func.sum(case((_condition(k, today), 1), else_=0)).label(k) for k in KINDS]  # type: ignore[arg-type]
    grouped = stmt.with_only_columns(d.lead_unit_id, d.received_on, *counts)  # type: ignore[attr-defined]
    rows = db.session.execute(grouped.group_by(d.lead_unit_id, d.received_on)).all()
    totals = dict.fromkeys(KINDS, 0)
    units: dict[int, dict[str, int]] = {}
    months: dict[int, dict[str, int]] = {m: dict.fromkeys(KINDS, 0) for m in range(1, 13)}
    for row in rows:
        unit_counts = units.setdefault(row.lead_unit_id or NO_UNIT, dict.fromkeys(KINDS, 0))
        month_counts = months[row.received_on.month]
        for k in KINDS:
            value = int(getattr(row, k) or 0)
            totals[k] += value
            unit_counts[k] += value
            month_counts[k] += value
    names = {u.id: u.name for u in db.session.execute(select(Unit).where(Unit.id.in_(list(units) or [0]))).scalars()}
    by_unit = sorted(((uid, names.get(uid, "Chưa giao đơn vị"), c) for uid, c in units.items()),
                     key=lambda item: item[1])
    return Board(year, totals, by_unit, months)


def documents_for(user: User, year: int, kind: str, *, unit_id: int | None = None, month: int | None = None,
                  today: date | None = None, limit: int = 500) -> list[IncomingDocument]:
    """The documents behind one figure of the board."""
    today = today or vietnam_today()
    stmt, unit = _base(user, year)
    stmt = stmt.where(_condition(kind, today))  # type: ignore[arg-type]
    if unit_id is not None:
        stmt = stmt.where(unit == unit_id)  # type: ignore[operator]
    if month is not None:
        stmt = stmt.where(extract("month", IncomingDocument.received_on) == month)
    return list(db.session.execute(stmt.order_by(IncomingDocument.number).limit(limit)).scalars())
