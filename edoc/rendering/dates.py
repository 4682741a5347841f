"""Numbers and dates as the Decree prints them (Appendix I, II.3.c and II.4.b)."""

from __future__ import annotations

import unicodedata
from datetime import date


def number_str(number: int) -> str:
    """The document number: under 10 gets a leading zero ("05"), the rest as they are ("10", "445")."""
    if number < 1:
        raise ValueError(f"document numbers start at 1 (got {number})")
    return f"{number:02d}"


def day_str(value: date | int) -> str:
    """Days under 10 get a leading zero: "05", "10"."""
    day = value if isinstance(value, int) else value.day
    return f"{day:02d}"


def month_str(value: date | int) -> str:
    """Only January and February get a leading zero ("01", "02", but "4", "12"): the Decree's guard against a
    hand-added digit turning 1 into 11 or 2 into 12."""
    month = value if isinstance(value, int) else value.month
    return f"{month:02d}" if month < 3 else str(month)


def year_str(value: date | int) -> str:
    return str(value if isinstance(value, int) else value.year)


def date_line(place: str, value: date) -> str:
    """"Gia Lâm, ngày 10 tháng 4 năm 2023"; "Hà Nội, ngày 05 tháng 02 năm 2024"."""
    place = unicodedata.normalize("NFC", place).strip()
    return f"{place}, ngày {day_str(value)} tháng {month_str(value)} năm {year_str(value)}"
