"""The two incoming registers of Appendix IV, per year, with filters: Sổ đăng ký văn bản đến (10 columns) and Sổ
theo dõi giải quyết văn bản đến (7 columns). Rows the viewer may not open are masked, not left out: the register
shows that the number was taken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import extract, select

from edoc.accounts.models import User
from edoc.core.clock import vietnam_time
from edoc.core.db import db
from edoc.core.text import fold
from edoc.documents.models import OutgoingDocument
from edoc.incoming import policy
from edoc.incoming.models import IncomingDocument, IncomingStatus
from edoc.registers.types import DOCUMENT_TYPES
from edoc.tasks.models import Task
from edoc.tasks.service import tasks_of_subjects

REGISTER_COLUMNS = ["Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu văn bản", "Ngày tháng văn bản",
                    "Tên loại và trích yếu nội dung văn bản", "Đơn vị hoặc người nhận", "Ngày chuyển", "Ký nhận",
                    "Ghi chú"]
TRACKER_COLUMNS = ["Số đến", "Tên loại, số, ký hiệu, ngày, tháng và tên cơ quan, tổ chức ban hành văn bản",
                   "Đơn vị hoặc người nhận", "Thời hạn giải quyết", "Tiến độ giải quyết",
                   "Số, ký hiệu văn bản trả lời", "Ghi chú"]
MASKED = "(Văn bản mật)"


@dataclass
class Row:
    document_id: int
    masked: bool
    cells: list[object]


def _type_name(code: str) -> str:
    t = DOCUMENT_TYPES.get(code)
    return t.name if t else ""


def _receivers(tasks: list[Task]) -> str:
    parts = [f"{t.assignee_label} ({t.role_label.lower()})" for t in tasks if t.parent_id is None]
    parts += [f"{t.assignee_label} (giao tiếp)" for t in tasks if t.parent_id is not None]
    return "; ".join(parts)


def _documents(user: User, year: int, month: int | None, query: str, status: str | None) -> list[IncomingDocument]:
    stmt = select(IncomingDocument).where(IncomingDocument.organisation_id == user.organisation_id,
                                          IncomingDocument.year == year, IncomingDocument.number.is_not(None))
    if month is not None:
        stmt = stmt.where(extract("month", IncomingDocument.received_on) == month)
    if status:
        stmt = stmt.where(IncomingDocument.status == status)
    docs = list(db.session.execute(stmt.order_by(IncomingDocument.number)).scalars())
    if query:
        needle = fold(query)
        docs = [d for d in docs if needle in fold(f"{d.summary} {d.sender_name} {d.original_reference} "
                                                  f"{d.number:02d}")]
    return docs


def register_rows(user: User, year: int, *, month: int | None = None, query: str = "") -> list[Row]:
    docs = _documents(user, year, month, query, None)
    visible = policy.readable_ids(user, [d.id for d in docs])
    tasks = tasks_of_subjects(policy.SUBJECT, [d.id for d in docs])
    rows: list[Row] = []
    for d in docs:
        masked = d.id not in visible
        mine = tasks.get(d.id, [])
        receivers = _receivers(mine) or (d.presented_to.full_name if d.presented_to else "")
        moved = d.directed_at or d.presented_at
        note = "; ".join(x for x in [
            d.secrecy, d.urgency, d.channel_label,
            f"Trả lại: {d.return_reason}" if d.status_enum is IncomingStatus.RETURNED else "",
            "Chữ ký số không hợp lệ" if d.signature_verdict == "invalid" else ""] if x)
        rows.append(Row(d.id, masked, [
            d.received_on, f"{d.number:02d}", d.sender_name, "" if masked else d.original_reference,
            None if masked else d.original_date,
            MASKED if masked else f"{_type_name(d.type_code)} {d.summary}".strip(),
            "" if masked else receivers, vietnam_time(moved).date() if moved else None,
            "Nhận trên Hệ thống" if mine and not masked else "", d.secrecy if masked else note]))
    return rows


def tracker_rows(user: User, year: int, *, month: int | None = None, query: str = "",
                 status: str | None = None) -> list[Row]:
    docs = [d for d in _documents(user, year, month, query, status) if d.status_enum is not IncomingStatus.RECEIVED]
    visible = policy.readable_ids(user, [d.id for d in docs])
    tasks = tasks_of_subjects(policy.SUBJECT, [d.id for d in docs])
    replies = {o.id: o for o in db.session.execute(select(OutgoingDocument).where(OutgoingDocument.id.in_(
        [d.reply_document_id for d in docs if d.reply_document_id] or [0]))).scalars()}
    rows: list[Row] = []
    for d in docs:
        masked = d.id not in visible
        if masked:
            rows.append(Row(d.id, True, [f"{d.number:02d}", MASKED, "", d.deadline, "", "", d.secrecy]))
            continue
        mine = tasks.get(d.id, [])
        lead = next((t for t in mine if t.role == "lead" and t.parent_id is None), None)
        dated = f", ngày {d.original_date:%d/%m/%Y}" if d.original_date else ""
        described = f"{_type_name(d.type_code)} {d.original_reference}{dated} của {d.sender_name}".strip()
        if d.status_enum in {IncomingStatus.DONE, IncomingStatus.FILED}:
            late = d.deadline is not None and d.finished_on is not None and d.finished_on > d.deadline
            progress = f"Đã giải quyết {d.finished_on:%d/%m/%Y}" + (" (quá hạn)" if late else "")
        elif d.status_enum is IncomingStatus.IN_PROGRESS:
            progress = f"Đang giải quyết ({lead.progress if lead else 0}%)"
        else:
            progress = d.status_label
        reply = replies.get(d.reply_document_id or 0)
        rows.append(Row(d.id, False, [f"{d.number:02d}", described, _receivers(mine), d.deadline, progress,
                                      reply.reference if reply else "", d.result[:200]]))
    return rows


def cell_text(value: object) -> str:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)
