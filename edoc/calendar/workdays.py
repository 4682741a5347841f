"""Counting working days, without the database: the base calendar (weekends and Vietnam's public holidays from
the ``holidays`` package) corrected by swaps. ``edoc.calendar.service`` builds one for an organisation."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import holidays

MAX_SPAN_DAYS = 366 * 5
"""A term longer than five years is a typing mistake, not a deadline: refused instead of looping over it."""


@functools.lru_cache(maxsize=64)
def public_holidays(year: int) -> Mapping[date, str]:
    """Vietnam's public holidays of ``year`` (Tết Dương lịch, Tết Nguyên Đán, Giỗ Tổ Hùng Vương, 30/4, 1/5, 2/9
    and the days the law adds), named in Vietnamese."""
    return dict(holidays.country_holidays("VN", years=year, language="vi"))


@dataclass(frozen=True)
class WorkCalendar:
    """``swaps``: day → True (worked, làm bù) or False (off, nghỉ bù), overriding the base calendar."""

    swaps: Mapping[date, bool] = field(default_factory=dict)

    def holiday_name(self, day: date) -> str | None:
        return public_holidays(day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        if day in self.swaps:
            return self.swaps[day]
        return day.weekday() < 5 and self.holiday_name(day) is None

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted: a document received on
        Monday with one working day is due Tuesday). ``days=0`` is ``start`` if it is a working day, else the
        next working day."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        if days == 0:
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return day
        counted = 0
        limit = start + timedelta(days=MAX_SPAN_DAYS)
        while counted < days:
            day += timedelta(days=1)
            if day > limit:
                raise ValueError("term too long")
            if self.is_working_day(day):
                counted += 1
        return day

    def next_working_day(self, day: date) -> date:
        return self.add_working_days(day, 1)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when ``end`` is before ``start``):
        ``working_days_between(d, add_working_days(d, n)) == n``."""
        if end < start:
            return -self.working_days_between(end, start)
        if (end - start).days > MAX_SPAN_DAYS:
            raise ValueError("span too long")
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(days=i)))


@dataclass(frozen=True)
class Term:
    """A term found in a document's text, and the deadline it gives counted from a day."""

    text: str
    """The words as written: "trong thời hạn 20 ngày làm việc"."""
    deadline: date


_NUMBER_WORDS = {"một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9,
                 "mười": 10, "mười lăm": 15, "hai mươi": 20, "ba mươi": 30}
_AMOUNT = r"(\d{1,3}|" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True)) + r")"
_TERM = re.compile(
    r"(?:trong\s+(?:thời\s+hạn|vòng|thời\s+gian)?\s*|chậm\s+nhất\s+(?:là\s+)?(?:sau\s+)?|không\s+quá\s+)"
    + _AMOUNT + r"\s*(?:\(\s*\w+(?:\s+\w+)*\s*\)\s*)?ngày(\s+làm\s+việc)?", re.IGNORECASE)
_BY_DATE = re.compile(
    r"(?:trước|chậm\s+nhất(?:\s+là)?|hạn\s+chót(?:\s+là)?)\s+(?:ngày\s+)?"
    r"(?:(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})|(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4}))", re.IGNORECASE)


def suggest_deadline(text: str, received: date, calendar: WorkCalendar) -> Term | None:
    """The first term a document's text sets, as a deadline from ``received``: "trong thời hạn 20 ngày làm việc"
    counts working days, "trong vòng 15 ngày" calendar days (ngày, without làm việc, is a calendar day; a
    deadline on a day off moves to the next working day, Civil Code art. 148), "chậm nhất ngày 30/5/2026" that
    day and "trước ngày 30/5/2026" the day before.
    None when the text names no term, or names one already past."""
    text = unicodedata.normalize("NFC", text or "")
    found: list[tuple[int, Term]] = []
    match = _TERM.search(text)
    if match:
        raw = match.group(1).lower()
        amount = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        if 0 < amount <= 366:
            if match.group(2):
                deadline = calendar.add_working_days(received, amount)
            else:
                deadline = calendar.add_working_days(received + timedelta(days=amount), 0)
            found.append((match.start(), Term(match.group(0).strip(), deadline)))
    match = _BY_DATE.search(text)
    if match:
        d, m, y = (match.group(1), match.group(2), match.group(3)) if match.group(1) else match.group(4, 5, 6)
        try:
            day = date(int(y), int(m), int(d))
        except ValueError:
            day = None
        if day is not None and match.group(0).lower().startswith("trước"):
            day -= timedelta(days=1)  # "trước ngày 30/5": done by the 29th
        if day is not None and day >= received:
            found.append((match.start(), Term(match.group(0).strip(), day)))
    if not found:
        return None
    return min(found, key=lambda item: item[0])[1]
