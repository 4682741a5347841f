"""The calendar's periods, without the database: a week from Monday, a month as whole weeks, and the iCalendar
text (RFC 5545) of a person's meetings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from edoc.core.clock import vietnam_time
from meetings.meeting.models import Meeting
from meetings.meeting.service import vietnam_moment

WEEKDAY_SHORT = ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]
WEEKDAY_LONG = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]


@dataclass(frozen=True)
class Period:
    view: str
    """``week`` or ``month``."""
    anchor: date
    first: date
    """First day shown (a Monday)."""
    last: date
    """Last day shown (a Sunday)."""

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    @property
    def start(self) -> datetime:
        return vietnam_moment(self.first, 0, 0)

    @property
    def end(self) -> datetime:
        return vietnam_moment(self.last + timedelta(days=1), 0, 0)

    @property
    def previous(self) -> date:
        if self.view == "week":
            return self.anchor - timedelta(days=7)
        return (self.anchor.replace(day=1) - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        if self.view == "week":
            return self.anchor + timedelta(days=7)
        return (self.anchor.replace(day=28) + timedelta(days=4)).replace(day=1)

    @property
    def title(self) -> str:
        if self.view == "week":
            return f"Tuần {self.first:%d/%m} – {self.last:%d/%m/%Y}"
        return f"Tháng {self.anchor.month} năm {self.anchor.year}"


def period(view: str, anchor: date) -> Period:
    if view == "month":
        first_of_month = anchor.replace(day=1)
        next_month = (first_of_month.replace(day=28) + timedelta(days=4)).replace(day=1)
        last_of_month = next_month - timedelta(days=1)
        first = first_of_month - timedelta(days=first_of_month.weekday())
        last = last_of_month + timedelta(days=6 - last_of_month.weekday())
        return Period("month", anchor, first, last)
    first = anchor - timedelta(days=anchor.weekday())
    return Period("week", anchor, first, first + timedelta(days=6))


def by_day(meetings: Iterable[Meeting], days: list[date]) -> dict[date, list[Meeting]]:
    """Each day's meetings (a meeting of several days under each of its days), in start order."""
    out: dict[date, list[Meeting]] = {d: [] for d in days}
    for m in meetings:
        first, last = vietnam_time(m.starts_at).date(), vietnam_time(m.ends_at - timedelta(seconds=1)).date()
        for d in days:
            if first <= d <= last:
                out[d].append(m)
    return out


# --- iCalendar -------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n")
            .replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a space (RFC 5545 3.1), cut between characters."""
    out, current = [], ""
    for ch in line:
        if len((current + ch).encode()) > (75 if not out else 74):
            out.append(current)
            current = ""
        current += ch
    out.append(current)
    return "\r\n ".join(out)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ical(meetings: Iterable[Meeting], *, host: str, name: str, link: str) -> str:
    """A VCALENDAR of the meetings; times in UTC; each event's UID stable across fetches, its SEQUENCE the meeting's
    version (a calendar app then updates a changed meeting instead of adding another)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//edoc//Lich hop//VI", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape(name)}", "X-WR-TIMEZONE:Asia/Ho_Chi_Minh"]
    now = _stamp(datetime.now(UTC))
    for m in meetings:
        lines += ["BEGIN:VEVENT", f"UID:meeting-{m.id}@{host}", f"DTSTAMP:{now}", f"DTSTART:{_stamp(m.starts_at)}",
                  f"DTEND:{_stamp(m.ends_at)}", f"SEQUENCE:{m.version}", f"SUMMARY:{_escape(m.title)}",
                  f"LOCATION:{_escape(m.place)}", f"DESCRIPTION:{_escape(f'Chủ trì: {m.chair.full_name}')}",
                  f"URL:{link}/meetings/{m.id}",
                  "STATUS:" + ("CANCELLED" if m.status == "cancelled" else "CONFIRMED"
                               if m.announced_at is not None else "TENTATIVE"),
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
