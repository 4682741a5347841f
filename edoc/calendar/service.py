"""The organisation's working calendar: the swaps its admin enters, and a ``WorkCalendar`` built from them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.calendar.models import CalendarSwap, SwapKind
from edoc.calendar.policy import can_manage_calendar
from edoc.calendar.workdays import WorkCalendar, public_holidays
from edoc.core.db import commit, db, get_in
from edoc.core.errors import Conflict, NotAllowed, ValidationFailed
from edoc.core.text import clean

CALENDAR_IS_FOR_ADMINS = "Chỉ quản trị viên của cơ quan được sửa lịch ngày làm việc."


def calendar_for(organisation_id: int) -> WorkCalendar:
    """The organisation's calendar; its swaps are few (a handful a year), read whole."""
    rows = db.session.execute(select(CalendarSwap.day, CalendarSwap.kind)
                              .where(CalendarSwap.organisation_id == organisation_id)).all()
    return WorkCalendar({day: kind == SwapKind.WORK.value for day, kind in rows})


def swaps_of(organisation_id: int, year: int) -> list[CalendarSwap]:
    return list(db.session.execute(
        select(CalendarSwap).where(CalendarSwap.organisation_id == organisation_id,
                                   CalendarSwap.day >= date(year, 1, 1), CalendarSwap.day <= date(year, 12, 31))
        .order_by(CalendarSwap.day)).scalars())


def add_swap(actor: User, day: date, kind: str, note: str = "") -> CalendarSwap:
    """Record one day the government's notice changes: a weekday off (nghỉ bù) or a weekend day worked (làm bù).
    A swap that changes nothing (a Sunday made a day off) is refused: it is almost always the wrong date."""
    if not can_manage_calendar(actor, actor.organisation_id):
        raise NotAllowed(CALENDAR_IS_FOR_ADMINS)
    try:
        kind_enum = SwapKind(kind)
    except ValueError:
        raise ValidationFailed("Chọn nghỉ bù hoặc làm bù.", field="kind") from None
    note = clean(note)
    if len(note) > 255:
        raise ValidationFailed("Ghi chú dài quá 255 ký tự.", field="note")
    if not 2000 <= day.year <= 2100:
        raise ValidationFailed("Ngày không hợp lệ.", field="day")
    base = WorkCalendar().is_working_day(day)
    if kind_enum is SwapKind.OFF and not base:
        raise ValidationFailed(f"Ngày {day:%d/%m/%Y} vốn đã là ngày nghỉ.", field="day")
    if kind_enum is SwapKind.WORK and base:
        raise ValidationFailed(f"Ngày {day:%d/%m/%Y} vốn đã là ngày làm việc.", field="day")
    existing = db.session.execute(select(CalendarSwap).where(
        CalendarSwap.organisation_id == actor.organisation_id, CalendarSwap.day == day)).scalar_one_or_none()
    if existing is not None:
        raise Conflict(f"Ngày {day:%d/%m/%Y} đã có trong lịch ({existing.kind_label}).")
    swap = CalendarSwap(organisation_id=actor.organisation_id, day=day, kind=kind_enum.value, note=note,
                        created_by_id=actor.id)
    db.session.add(swap)
    db.session.flush()
    record("calendar.swap_add", swap, actor=actor, changes={"day": day.isoformat(), "kind": kind_enum.value})
    commit()
    return swap


def remove_swap(actor: User, swap_id: int) -> None:
    swap = get_in(CalendarSwap, swap_id, actor.organisation_id, "Không tìm thấy ngày này trong lịch.")
    if not can_manage_calendar(actor, swap.organisation_id):
        raise NotAllowed(CALENDAR_IS_FOR_ADMINS)
    record("calendar.swap_remove", swap, actor=actor, changes={"day": swap.day.isoformat(), "kind": swap.kind})
    db.session.delete(swap)
    commit()


def holidays_of(year: int) -> list[tuple[date, str]]:
    return sorted(public_holidays(year).items())
