"""Pages of a meeting's agenda and papers (/meetings/<id>/agenda, /meetings/<id>/papers/...). Thin: parse, call
a service function (which commits), render. A refusal shows the page the user was on again, with the message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.clock import vietnam_time
from edoc.core.db import db
from edoc.core.errors import DomainError, ValidationFailed
from edoc.core.forms import parse_id
from edoc.files.views import send_stored
from meetings.agenda import service
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting
from meetings.meeting.policy import can_manage_meeting, can_see_participants, get_meeting_for
from meetings.papers import files, policy, reminders
from meetings.papers import service as papers
from meetings.papers.models import Paper
from storage.base import content_disposition

bp = Blueprint("meeting_agenda", __name__, url_prefix="/meetings")

ANSWERS = {"pending": "Chưa trả lời", "attend": "Sẽ dự", "attend_online": "Dự trực tuyến",
           "absent": "Vắng (có lý do)", "deputy": "Cử người dự thay"}
ROLES = {"chair": "Chủ trì", "secretary": "Thư ký", "member": "Thành viên", "guest": "Khách mời"}


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def participant_name(p: Participant) -> str:
    if p.user_id is not None:
        user = db.session.get(User, p.user_id)
        return user.full_name if user is not None else "?"
    return p.guest_name or "Khách mời"


def _participants(meeting: Meeting) -> list[Participant]:
    return list(db.session.execute(select(Participant).where(Participant.meeting_id == meeting.id)
                                   .order_by(Participant.id)).scalars())


def _page(meeting: Meeting, status: int = 200, form: Any = None, error_field: str | None = None) -> tuple[str, int]:
    user = me()
    items = service.items_of(meeting)
    all_papers = papers.papers_of(meeting)
    readable = [p for p in all_papers if policy.can_read_paper(user, p, meeting)]
    by_item: dict[int, list[Paper]] = {}
    for p in readable:
        by_item.setdefault(p.agenda_item_id, []).append(p)
    manage = policy.can_edit_agenda(user, meeting)
    people = _participants(meeting) if can_see_participants(user, meeting) else []
    release = policy.release_of(meeting)
    org_users = list(db.session.execute(select(User).where(User.organisation_id == meeting.organisation_id,
                                                           User.active.is_(True)).order_by(User.full_name))
                     .scalars()) if manage else []
    return render_template(
        "meetings/agenda/show.html", meeting=meeting, user=user, items=items, labels=service.numbering(items),
        kinds=service.KINDS, by_item=by_item, manage=manage, people=people, names={p.id: participant_name(p)
                                                                                     for p in people},
        answers=ANSWERS, roles=ROLES, release=release, released=policy.released(meeting),
        warning=papers.release_warning(meeting) if manage else None,
        reminders=reminders.reminders_of(meeting), presets=reminders.PRESETS, reminder_label=reminders.label,
        choices=papers.document_choices(user, meeting) if manage else [], org_users=org_users,
        users={u.id: u for u in org_users}, presenter_names=_presenter_names(items),
        local=lambda moment: vietnam_time(moment).strftime("%Y-%m-%dT%H:%M"), form=form or {},
        error_field=error_field), status


def _presenter_names(items: list[Any]) -> dict[int, str]:
    ids = {i.presenter_user_id for i in items if i.presenter_user_id is not None}
    if not ids:
        return {}
    return {u.id: u.full_name for u in db.session.execute(select(User).where(User.id.in_(ids))).scalars()}


@bp.route("/<int:meeting_id>/agenda")
@login_required
def show(meeting_id: int) -> tuple[str, int]:
    return _page(get_meeting_for(me(), meeting_id))


def _act(meeting_id: int, action: Callable[[Meeting], object], message: str,
         anchor: str = "") -> Response | tuple[str, int]:
    """Run one change on a meeting the user can see; a refusal shows the agenda page again with the message."""
    meeting = get_meeting_for(me(), meeting_id)
    try:
        action(meeting)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _page(get_meeting_for(me(), meeting_id), exc.status, request.form, exc.field)
    flash(message, "success")
    return redirect(url_for("meeting_agenda.show", meeting_id=meeting_id) + anchor)


@bp.route("/<int:meeting_id>/agenda/items", methods=["POST"])
@login_required
def add_item(meeting_id: int) -> Response | tuple[str, int]:
    return _act(meeting_id, lambda m: service.create_item(me(), m, service.parse_item(request.form)),
                "Đã thêm mục vào chương trình.")


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>", methods=["POST"])
@login_required
def edit_item(meeting_id: int, item_id: int) -> Response | tuple[str, int]:
    return _act(meeting_id, lambda m: service.update_item(me(), m, service.get_item(m, item_id),
                                                          service.parse_item(request.form)),
                "Đã sửa mục chương trình.", f"#item-{item_id}")


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/move", methods=["POST"])
@login_required
def move_item(meeting_id: int, item_id: int) -> Response | tuple[str, int]:
    return _act(meeting_id, lambda m: service.move_item(me(), m, service.get_item(m, item_id),
                                                        request.form.get("direction", "")),
                "Đã đổi thứ tự chương trình.", f"#item-{item_id}")


@bp.route("/<int:meeting_id>/agenda/items/<int:item_id>/delete", methods=["POST"])
@login_required
def delete_item(meeting_id: int, item_id: int) -> Response | tuple[str, int]:
    return _act(meeting_id, lambda m: service.delete_item(me(), m, service.get_item(m, item_id)),
                "Đã xóa mục chương trình.")


def _upload() -> files.PaperFile:
    part = request.files.get("file")
    if part is None or not part.filename:
        raise ValidationFailed("Chưa chọn tệp tài liệu (PDF hoặc DOCX).", field="file")
    return files.read_upload(part.stream, part.filename)


@bp.route("/<int:meeting_id>/papers", methods=["POST"])
@login_required
def add_paper(meeting_id: int) -> Response | tuple[str, int]:
    def action(m: Meeting) -> None:
        policy.require_edit(me(), m)  # before reading (and converting) the file
        item_id = parse_id(request.form.get("agenda_item_id"), field="agenda_item_id")
        papers.add_upload(me(), m, item_id, _upload(), title=request.form.get("title", ""),
                          draft=request.form.get("draft") == "1")
    return _act(meeting_id, action, "Đã thêm tài liệu.")


@bp.route("/<int:meeting_id>/papers/link", methods=["POST"])
@login_required
def link_paper(meeting_id: int) -> Response | tuple[str, int]:
    def action(m: Meeting) -> None:
        kind, _, raw = str(request.form.get("document", "")).partition(":")
        papers.link_document(me(), m, parse_id(request.form.get("agenda_item_id"), field="agenda_item_id"),
                             kind, parse_id(raw, field="document"), title=request.form.get("title", ""),
                             draft=True if request.form.get("draft") == "1" else None)
    return _act(meeting_id, action, "Đã gắn văn bản làm tài liệu họp.")


@bp.route("/<int:meeting_id>/papers/<int:paper_id>/version", methods=["POST"])
@login_required
def add_version(meeting_id: int, paper_id: int) -> Response | tuple[str, int]:
    def action(m: Meeting) -> None:
        policy.require_edit(me(), m)
        papers.add_version(me(), m, papers.get_paper(m, paper_id), _upload())
    return _act(meeting_id, action, "Đã thêm phiên bản mới của tài liệu.", f"#paper-{paper_id}")


@bp.route("/<int:meeting_id>/papers/<int:paper_id>/readers", methods=["POST"])
@login_required
def set_readers(meeting_id: int, paper_id: int) -> Response | tuple[str, int]:
    def action(m: Meeting) -> None:
        restricted = request.form.get("restricted") == "1"
        ids = [parse_id(v, field="readers") for v in request.form.getlist("participant_ids")]
        papers.set_readers(me(), m, papers.get_paper(m, paper_id), ids if restricted else None)
    return _act(meeting_id, action, "Đã cập nhật người được đọc tài liệu.", f"#paper-{paper_id}")


@bp.route("/<int:meeting_id>/papers/<int:paper_id>/delete", methods=["POST"])
@login_required
def remove_paper(meeting_id: int, paper_id: int) -> Response | tuple[str, int]:
    return _act(meeting_id, lambda m: papers.remove_paper(me(), m, papers.get_paper(m, paper_id)),
                "Đã gỡ tài liệu khỏi chương trình.")


@bp.route("/<int:meeting_id>/papers/release", methods=["POST"])
@login_required
def set_release(meeting_id: int) -> Response | tuple[str, int]:
    return _act(meeting_id, lambda m: papers.set_release(me(), m, papers.parse_local_time(
        request.form.get("release_at"))), "Đã đặt thời điểm phát hành tài liệu.", "#release")


@bp.route("/<int:meeting_id>/reminders", methods=["POST"])
@login_required
def set_reminders(meeting_id: int) -> Response | tuple[str, int]:
    def action(m: Meeting) -> None:
        values = [*request.form.getlist("minutes_before")]
        custom = str(request.form.get("custom_hours", "")).strip()
        if custom:
            if not custom.isdigit() or not 1 <= int(custom) <= 720:
                raise ValidationFailed("Số giờ nhắc trước là số nguyên từ 1 đến 720.", field="custom_hours")
            values.append(str(int(custom) * 60))
        reminders.set_reminders(me(), m, reminders.parse_minutes(values))
    return _act(meeting_id, action, "Đã đặt lịch nhắc họp.", "#reminders")


def _viewer(meeting: Meeting, paper: Paper, status: int = 200, form: Any = None) -> tuple[str, int]:
    user = me()
    number = request.args.get("v", "")
    version = next((v for v in paper.versions if str(v.number) == number), None) or paper.current
    return render_template(
        "meetings/agenda/paper.html", meeting=meeting, paper=paper, version=version, user=user,
        comments=papers.comments_for(user, meeting, paper), can_comment=policy.can_comment(user, paper, meeting),
        sees_all=policy.sees_all_comments(user, paper, meeting),
        deliveries=papers.deliveries_of(paper) if can_manage_meeting(user, meeting) else [],
        form=form or {}), status


@bp.route("/<int:meeting_id>/papers/<int:paper_id>")
@login_required
def paper(meeting_id: int, paper_id: int) -> tuple[str, int]:
    meeting = get_meeting_for(me(), meeting_id)
    return _viewer(meeting, policy.readable_paper(me(), meeting, paper_id))


@bp.route("/<int:meeting_id>/papers/<int:paper_id>/file")
@login_required
def paper_file(meeting_id: int, paper_id: int) -> Response:
    """The PDF for reading (``inline=1``, the viewer) or download: stamped with the reader's name unless signed."""
    meeting = get_meeting_for(me(), meeting_id)
    found = policy.readable_paper(me(), meeting, paper_id)
    raw = request.args.get("v", "")
    number = int(raw) if raw.isdigit() and len(raw) < 6 else None
    inline = request.args.get("inline") == "1"
    delivered = papers.deliver(me(), meeting, found, version_number=number, inline=inline)
    if delivered.data is None:
        return send_stored(delivered.version.file, inline=inline)
    response = Response(delivered.data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(delivered.filename,
                                                                  "inline" if inline else "attachment")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:meeting_id>/papers/<int:paper_id>/comments", methods=["POST"])
@login_required
def comment(meeting_id: int, paper_id: int) -> Response | tuple[str, int]:
    meeting = get_meeting_for(me(), meeting_id)
    found = policy.readable_paper(me(), meeting, paper_id)
    try:
        papers.add_comment(me(), meeting, found, parse_id(request.form.get("version_id"), field="version_id"),
                           parse_id(request.form.get("page"), field="page"), request.form.get("body", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        meeting = get_meeting_for(me(), meeting_id)
        return _viewer(meeting, policy.readable_paper(me(), meeting, paper_id), exc.status, request.form)
    flash("Đã ghi góp ý.", "success")
    return redirect(url_for("meeting_agenda.paper", meeting_id=meeting_id, paper_id=paper_id) + "#comments")
