"""The minutes page's actions as its forms send them: parse, call the one service function, commit
(``edoc.core.db.commit``), say what was done. A refusal (``DomainError``) leaves nothing written: the view rolls
back and shows the message on the page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import IO, Any

from edoc.accounts.models import User
from edoc.core.db import commit, db
from edoc.core.errors import NotFound, ValidationFailed
from edoc.core.forms import parse_id, parse_int, parse_optional_id
from edoc.documents.models import OutgoingDocument
from edoc.tasks import service as tasks
from meetings.meeting.models import Meeting
from meetings.minutes import archive, conclusions, notice, opinions, service


def _item_texts(form: Mapping[str, Any], meeting: Meeting, *, proceedings: bool) -> dict[int, tuple[str | None,
                                                                                                     str | None]]:
    items: dict[int, tuple[str | None, str | None]] = {}
    for key in form:
        if key.startswith("conclusion-") and key[len("conclusion-"):].isdigit():
            item_id = int(key[len("conclusion-"):])
            text = form.get(f"proceedings-{item_id}") if proceedings else None
            items[item_id] = (None if text is None else str(text), str(form.get(key) or ""))
    return items


def _date(raw: object, field: str) -> date | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("Ngày không hợp lệ.", field=field) from None


def perform(actor: User, meeting: Meeting, action: str, form: Mapping[str, Any]) -> str:
    """One change, committed; returns what to tell the user."""
    if action == "end":
        service.end_meeting(actor, meeting)
        message = "Cuộc họp đã kết thúc. Thư ký soạn biên bản từ dữ liệu cuộc họp."
    elif action == "draft":
        service.draft_minutes(actor, meeting)
        message = "Đã soạn biên bản từ dữ liệu cuộc họp."
    elif action == "text":
        service.save_text(actor, meeting, opening=str(form.get("opening") or ""),
                          closing=str(form.get("closing") or ""), items=_item_texts(form, meeting, proceedings=True))
        message = "Đã lưu biên bản (phiên bản mới)."
    elif action == "conclusions":
        service.save_text(actor, meeting, items=_item_texts(form, meeting, proceedings=False))
        message = "Đã lưu kết luận."
    elif action == "correct":
        service.correct_fact(actor, meeting, str(form.get("target") or ""), str(form.get("corrected") or ""),
                             str(form.get("reason") or ""))
        message = "Đã ghi đính chính vào biên bản."
    elif action == "sign_secretary":
        service.sign_as_secretary(actor, meeting, str(form.get("pin") or ""))
        message = "Đã ký số biên bản (thư ký). Hãy trình chủ tọa ký."
    elif action == "submit":
        service.submit(actor, meeting)
        message = "Đã trình chủ tọa ký biên bản."
    elif action == "sign_chair":
        service.sign_as_chair(actor, meeting, str(form.get("pin") or ""))
        message = "Đã ký số biên bản (chủ tọa). Văn thư cấp số và ban hành."
    elif action == "notice":
        notice.draft_notice(actor, meeting)
        message = "Đã soạn thông báo kết luận; hãy trình ký ở trang văn bản."
    elif action == "assign":
        conclusion = conclusions.conclusion_of(meeting, parse_id(form.get("conclusion_id"), field="conclusion_id"))
        days = str(form.get("working_days") or "").strip()
        line = conclusions.TaskLine(
            role=str(form.get("role") or ""), user_id=parse_optional_id(form.get("user_id"), field="user_id"),
            unit_id=parse_optional_id(form.get("unit_id"), field="unit_id"),
            instructions=str(form.get("instructions") or ""),
            working_days=parse_int(days, field="working_days", minimum=1, maximum=conclusions.MAX_WORKING_DAYS,
                                   message="Thời hạn tính bằng số ngày làm việc.") if days else None,
            deadline=_date(form.get("deadline"), "deadline"))
        made = conclusions.assign_tasks(actor, meeting, conclusion, [line])
        message = f"Đã giao việc: {made[0].assignee_label}" + (f", hạn {made[0].deadline:%d/%m/%Y}."
                                                               if made[0].deadline else ".")
    elif action == "report":
        task = tasks.get_task(actor, parse_id(form.get("task_id"), field="task_id"))
        _meeting_task(task.subject_kind)
        tasks.report(actor, task, progress=parse_int(form.get("progress") or 0, field="progress", minimum=0,
                                                     maximum=100, message="Tiến độ là số phần trăm từ 0 đến 100."),
                     note=str(form.get("note") or ""), done=bool(form.get("done")))
        message = "Đã báo cáo tiến độ."
    elif action == "answer":
        task = tasks.get_task(actor, parse_id(form.get("task_id"), field="task_id"))
        _meeting_task(task.subject_kind)
        doc = db.session.get(OutgoingDocument, parse_id(form.get("document_id"), field="document_id"))
        if doc is None:
            raise ValidationFailed("Không tìm thấy văn bản.", field="document_id")
        conclusions.answer_with_document(actor, task, doc)
        message = f"Đã hoàn thành việc bằng văn bản {doc.reference}."
    elif action == "opinion":
        opinions.send_opinion(actor, meeting, parse_id(form.get("agenda_item_id"), field="agenda_item_id"),
                              str(form.get("text") or ""))
        message = "Đã gửi ý kiến bằng văn bản tới chủ tọa."
    else:
        raise NotFound("Không có thao tác này.")
    commit()
    return message


def _meeting_task(kind: str) -> None:
    if kind != conclusions.SUBJECT:
        raise NotFound("Không tìm thấy việc được giao từ kết luận cuộc họp.")


def download_file(actor: User, meeting: Meeting) -> tuple[IO[bytes], str]:
    out, name = archive.meeting_file(actor, meeting)
    commit()  # the download's audit entry
    return out, name
