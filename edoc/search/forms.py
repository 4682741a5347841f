"""Reading a search request (page and API alike): every malformed value is a 400 with a message, never a 500."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from edoc.core.errors import ValidationFailed
from edoc.core.forms import parse_int, parse_optional_id, parse_year
from edoc.search.service import Filters

URGENCIES = ("Khẩn", "Thượng khẩn", "Hỏa tốc")
"""Độ khẩn (Decree 30, Article 9)."""
MAX_PAGE = 500


def _date(raw: str, field: str, label: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    for parse in (date.fromisoformat, _vietnamese_date):
        try:
            return parse(raw)
        except ValueError:
            continue
    raise ValidationFailed(f"{label} không hợp lệ: nhập theo dạng ngày/tháng/năm (ví dụ 15/03/2024).", field=field)


def _vietnamese_date(raw: str) -> date:
    day, month, year = (int(p) for p in raw.split("/"))
    return date(year, month, day)


def _short(args: Mapping[str, str], name: str, limit: int = 32) -> str:
    value = str(args.get(name, "") or "").strip()
    if len(value) > limit:
        raise ValidationFailed(f"Giá trị lọc “{name}” không hợp lệ.", field=name)
    return value


def read_filters(args: Mapping[str, str]) -> tuple[str, Filters, int]:
    """(query, filters, page) from a query string."""
    query = str(args.get("q", "") or "")
    year_raw = str(args.get("year", "") or "").strip()
    filters = Filters(
        kind=_short(args, "kind"), year=parse_year(year_raw) if year_raw else None,
        type_code=_short(args, "type"), unit_id=parse_optional_id(args.get("unit"), field="unit"),
        signer_id=parse_optional_id(args.get("signer"), field="signer"), status=_short(args, "status"),
        urgency=_short(args, "urgency"),
        date_from=_date(str(args.get("from", "") or ""), "from", "Từ ngày"),
        date_to=_date(str(args.get("to", "") or ""), "to", "Đến ngày"),
    )
    if filters.urgency and filters.urgency not in URGENCIES:
        raise ValidationFailed("Độ khẩn không hợp lệ (Khẩn, Thượng khẩn, Hỏa tốc).", field="urgency")
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ValidationFailed("“Từ ngày” phải trước “Đến ngày”.", field="from")
    page_raw = str(args.get("page", "") or "").strip()
    page = parse_int(page_raw, field="page", minimum=1, maximum=MAX_PAGE,
                     message=f"Trang không hợp lệ (1 đến {MAX_PAGE}).") if page_raw else 1
    return query, filters, page
