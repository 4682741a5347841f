"""Numbers and dates as the Decree prints them (Appendix I, II.4 and II.5)."""

from __future__ import annotations

from datetime import date


def number_str(number: int) -> str:
    """Numbers under 10 get a leading zero: 05, 10, 445."""
    return f"{number:02d}"


def day_str(value: date) -> str:
    """Days under 10 get a leading zero."""
    return f"{value.day:02d}"


def month_str(value: date) -> str:
    """Months 1 and 2 get a leading zero (so that 01 and 02 cannot be altered into 11 and 12); others do not."""
    return f"{value.month:02d}" if value.month < 3 else str(value.month)


def date_line(place: str, value: date) -> str:
    """"Gia Lâm, ngày 10 tháng 4 năm 2023"."""
    return f"{place}, ngày {day_str(value)} tháng {month_str(value)} năm {value.year}"
