"""Private annotations on meeting papers (chú thích riêng trên tài liệu họp): a delegate's ink strokes,
highlights and pinned notes on a page of the paper version they read, kept per (person, version, page).

The page's JSON is checked item by item and stored re-serialised, so nothing the browser sent is kept as sent:
three kinds, a fixed palette, coordinates as fractions of the page (0..1, from its top left corner, four decimals),
bounded counts and lengths. Anything else is refused with one Vietnamese message and nothing is written. The
paper's file is never touched: the marks are drawn over the page by the viewer (see docs/meetings.md)."""

from __future__ import annotations

import json
import math
from typing import Any

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import commit, db, insert_ignore, utcnow
from edoc.core.errors import NotFound, TooLarge, ValidationFailed
from edoc.core.text import has_control_chars, nfc
from meetings.meeting import policy as meeting_policy
from meetings.meeting.models import Meeting
from meetings.notes import policy
from meetings.notes.models import PaperAnnotation
from meetings.papers.models import Paper, PaperVersion

COLORS = ("yellow", "green", "red", "blue")
MAX_ITEMS = 200
MAX_POINTS = 1_000
"""Points in one stroke: the page samples the pen at most every few pixels, a long stroke is a few hundred."""
MAX_PAGE_POINTS = 10_000
MAX_TEXT = 1_000
MAX_BYTES = 96_000
"""The stored JSON of one page; the request body may be a little larger (white space, longer numbers)."""
MAX_BODY = 256_000
MAX_PAGE = 10_000

BAD = "Chú thích không hợp lệ"


def _refuse(why: str) -> ValidationFailed:
    return ValidationFailed(f"{BAD}: {why}.", field="items")


def _fraction(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _refuse("tọa độ phải là số")
    if not 0 <= value <= 1:
        raise _refuse("tọa độ nằm ngoài trang")
    return round(float(value), 4)


def _point(value: object) -> list[float]:
    if not isinstance(value, list) or len(value) != 2:
        raise _refuse("mỗi điểm là một cặp [x, y]")
    return [_fraction(value[0]), _fraction(value[1])]


def _keys(item: dict[str, Any], allowed: set[str]) -> None:
    if set(item) != allowed:
        raise _refuse("mục có trường thiếu hoặc lạ")


def _color(value: object) -> str:
    if value not in COLORS:
        raise _refuse("màu không có trong bảng màu")
    return str(value)


def _item(raw: object) -> tuple[dict[str, Any], int]:
    """One validated item and the points it holds."""
    if not isinstance(raw, dict):
        raise _refuse("mỗi mục phải là một đối tượng")
    kind = raw.get("type")
    if kind == "ink":
        _keys(raw, {"type", "color", "points"})
        points = raw["points"]
        if not isinstance(points, list) or not 1 <= len(points) <= MAX_POINTS:
            raise _refuse(f"một nét vẽ có từ 1 đến {MAX_POINTS} điểm")
        return {"type": "ink", "color": _color(raw["color"]), "points": [_point(p) for p in points]}, len(points)
    if kind == "highlight":
        _keys(raw, {"type", "color", "rect"})
        rect = raw["rect"]
        if not isinstance(rect, list) or len(rect) != 4:
            raise _refuse("vùng tô sáng là [x, y, rộng, cao]")
        x, y, w, h = (_fraction(v) for v in rect)
        if w <= 0 or h <= 0 or x + w > 1.0001 or y + h > 1.0001:
            raise _refuse("vùng tô sáng nằm ngoài trang")
        return {"type": "highlight", "color": _color(raw["color"]), "rect": [x, y, w, h]}, 2
    if kind == "note":
        _keys(raw, {"type", "at", "text"})
        text = raw["text"]
        if not isinstance(text, str):
            raise _refuse("nội dung ghi chú phải là văn bản")
        value = (nfc(text) or "").strip()
        if not value or len(value) > MAX_TEXT:
            raise _refuse(f"ghi chú có từ 1 đến {MAX_TEXT} ký tự")
        if has_control_chars(value.replace("\n", "").replace("\r", "").replace("\t", "")):
            raise _refuse("ghi chú chứa ký tự điều khiển")
        return {"type": "note", "at": _point(raw["at"]), "text": value}, 1
    raise _refuse("loại chú thích phải là nét vẽ, tô sáng hoặc ghi chú")


def validate_items(raw: object) -> list[dict[str, Any]]:
    """The page's items, checked and normalised; ``ValidationFailed`` / ``TooLarge`` otherwise (pure)."""
    if not isinstance(raw, list):
        raise _refuse("danh sách mục phải là một mảng")
    if len(raw) > MAX_ITEMS:
        raise TooLarge(f"{BAD}: quá {MAX_ITEMS} mục trên một trang.", field="items")
    items, points = [], 0
    for entry in raw:
        item, count = _item(entry)
        items.append(item)
        points += count
    if points > MAX_PAGE_POINTS:
        raise TooLarge(f"{BAD}: quá {MAX_PAGE_POINTS} điểm vẽ trên một trang.", field="items")
    if len(dump(items)) > MAX_BYTES:
        raise TooLarge(f"{BAD}: quá {MAX_BYTES // 1000} KB trên một trang.", field="items")
    return items


def dump(items: list[dict[str, Any]]) -> str:
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def _version(paper: Paper, number: int | None) -> PaperVersion:
    if number is None:
        if paper.current is None:
            raise NotFound("Tài liệu chưa có tệp.")
        return paper.current
    found = next((v for v in paper.versions if v.number == number), None)
    if found is None:
        raise NotFound("Không tìm thấy phiên bản này của tài liệu.")
    return found


def annotations_of(actor: User, meeting: Meeting, paper: Paper,
                   version_number: int | None = None) -> tuple[PaperVersion, list[PaperAnnotation]]:
    """The actor's own annotations on a version of the paper (the current one by default), page by page."""
    meeting_policy.require(policy.can_annotate(actor, paper, meeting))
    version = _version(paper, version_number)
    rows = db.session.execute(select(PaperAnnotation).where(PaperAnnotation.user_id == actor.id,
                                                            PaperAnnotation.version_id == version.id)
                              .order_by(PaperAnnotation.page)).scalars()
    return version, list(rows)


def save_page(actor: User, meeting: Meeting, paper: Paper, version_number: object, page: int,
              items: object) -> PaperAnnotation | None:
    """Replace the actor's annotations on one page of one version (an empty list removes them). Returns the row,
    or None when the page has none left."""
    meeting_policy.require(policy.can_annotate(actor, paper, meeting))
    if isinstance(version_number, bool) or not isinstance(version_number, int):
        raise ValidationFailed(f"{BAD}: thiếu số phiên bản tài liệu.", field="version")
    version = _version(paper, version_number)
    if not 1 <= page <= (version.pages or MAX_PAGE):
        raise ValidationFailed(f"{BAD}: tài liệu không có trang {page}.", field="page")
    checked = validate_items(items)
    where = (PaperAnnotation.user_id == actor.id, PaperAnnotation.version_id == version.id,
             PaperAnnotation.page == page)
    if not checked:
        row = db.session.execute(select(PaperAnnotation).where(*where)).scalar_one_or_none()
        if row is not None:
            db.session.delete(row)
            record("meeting.annotation.clear", meeting, actor=actor,
                   changes={"paper": paper.id, "version": version.number, "page": page})
            commit()
        return None
    insert_ignore(PaperAnnotation, {"meeting_id": meeting.id, "user_id": actor.id, "version_id": version.id,
                                    "page": page, "data": "[]", "updated_at": utcnow()},
                  conflict_columns=["user_id", "version_id", "page"])
    row = db.session.execute(select(PaperAnnotation).where(*where).with_for_update()
                             .execution_options(populate_existing=True)).scalar_one()
    row.data, row.updated_at = dump(checked), utcnow()
    # the audit entry says that a page was annotated and how much, never what: the marks are private
    record("meeting.annotation.save", meeting, actor=actor,
           changes={"paper": paper.id, "version": version.number, "page": page, "items": len(checked)})
    commit()
    return row


def as_json(row: PaperAnnotation) -> dict[str, Any]:
    return {"id": row.id, "page": row.page, "items": json.loads(row.data), "updated_at": row.updated_at.isoformat()}
