"""Reading the fields of a page's form or an API body into the service's terms; every malformed value is a
ValidationFailed naming its field (a 400 with a Vietnamese message), never a 500."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from edoc.core.errors import ValidationFailed
from edoc.core.forms import parse_optional_id
from edoc.incoming.service import IncomingData
from edoc.tasks.service import Assignee

ROLES = ("lead", "cooperate", "inform")


def parse_date(raw: object, *, field: str, label: str) -> date | None:
    """ISO (2026-12-03, what a date input sends) or dd/mm/yyyy; empty is None."""
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        if "/" in text:
            day, month, year = (int(p) for p in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{label} không hợp lệ (ngày/tháng/năm).", field=field) from None


def _int(raw: object, *, field: str, message: str) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        raise ValidationFailed(message, field=field)
    return int(text)


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise ValidationFailed(f"Trường “{name}” phải là chuỗi.", field=name)
    return str(value)


def incoming_data(body: Mapping[str, Any], reader_ids: list[object] | None = None) -> IncomingData:
    return IncomingData(
        summary=_text(body, "summary"),
        sender_contact_id=parse_optional_id(body.get("sender_contact_id"), field="sender_contact_id"),
        sender_name=_text(body, "sender_name"),
        original_reference=_text(body, "original_reference"),
        original_date=parse_date(body.get("original_date"), field="original_date", label="Ngày văn bản"),
        type_code=_text(body, "type_code"), signer_name=_text(body, "signer_name"),
        secrecy=_text(body, "secrecy"), urgency=_text(body, "urgency"),
        pages=_int(body.get("pages"), field="pages", message="Số trang là số nguyên dương."),
        attachments_note=_text(body, "attachments_note"),
        reader_ids=[i for i in (parse_optional_id(r, field="reader_ids") for r in (reader_ids or [])) if i],
    )


def target(raw: object) -> tuple[int | None, int | None]:
    """"user:5" or "unit:3" → (user_id, unit_id)."""
    kind, _, ident = str(raw or "").partition(":")
    if kind not in {"user", "unit"} or not ident.isdigit() or len(ident) > 12:
        raise ValidationFailed("Chọn người hoặc đơn vị được giao.", field="assignee")
    return (int(ident), None) if kind == "user" else (None, int(ident))


def assignees_from_form(lead: str, cooperate: list[str], inform: list[str]) -> list[Assignee]:
    lines: list[Assignee] = []
    if lead:
        lines.append(Assignee("lead", *target(lead)))
    lines += [Assignee("cooperate", *target(t)) for t in cooperate if t]
    lines += [Assignee("inform", *target(t)) for t in inform if t]
    return lines


def assignees_from_json(raw: object) -> list[Assignee]:
    """``[{"role": "lead", "user_id": 5 | "unit_id": 3, "instructions": "...", "deadline": "2026-12-20"}]``"""
    if not isinstance(raw, list):
        raise ValidationFailed("“assignees” là một mảng các dòng giao việc.", field="assignees")
    lines: list[Assignee] = []
    for item in raw:
        if not isinstance(item, dict):
            raise ValidationFailed("Mỗi dòng giao việc là một đối tượng JSON.", field="assignees")
        role = str(item.get("role") or "")
        if role not in ROLES:
            raise ValidationFailed("Vai trò giao việc: lead, cooperate hoặc inform.", field="role")
        lines.append(Assignee(
            role, parse_optional_id(item.get("user_id"), field="user_id"),
            parse_optional_id(item.get("unit_id"), field="unit_id"), _text(item, "instructions"),
            parse_date(item.get("deadline"), field="deadline", label="Hạn giải quyết")))
    return lines


def progress(raw: object) -> int:
    value = _int(raw, field="progress", message="Tiến độ là số phần trăm từ 0 đến 100.")
    if value is None or value > 100:
        raise ValidationFailed("Tiến độ là số phần trăm từ 0 đến 100.", field="progress")
    return value
