"""/meetings/<id>/minutes: the minutes (biên bản) and what follows the meeting on one page — the Biên bản's text and
conclusions, corrections of recorded facts, the secretary's and the chair's signatures, the conclusion notice with
its working days left, the tasks given from each conclusion and their progress, absent members' written opinions,
and the meeting file. Views parse, call ``actions`` (which commits) and render; a refusal is shown on this page
with its status, nothing of it saved."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import DomainError
from edoc.documents import policy as document_policy
from edoc.documents.models import OutgoingDocument, Status
from edoc.organisations.models import Unit
from edoc.tasks.models import ROLE_LABELS, TaskRole
from edoc.tasks.policy import can_report
from meetings.agenda.models import AgendaItem
from meetings.meeting.models import Meeting, MeetingStatus
from meetings.meeting.policy import get_meeting_for, participant_of
from meetings.minutes import actions, conclusions, notice, opinions, policy, service
from meetings.minutes import facts as f
from meetings.minutes.models import FactCorrection, ItemMinutes

bp = Blueprint("meeting_minutes", __name__, url_prefix="/meetings")


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _targets(meeting: Meeting, facts: f.MeetingFacts) -> list[tuple[str, str]]:
    """The recorded facts the secretary may correct, as (target, label) for the form's list."""
    labels = []
    for p in f.corrected_people(facts):
        labels.append((f"person:{p.key}:status", f"Tình trạng tham dự — {p.name} ({f.STATUS_TEXT.get(p.status)})"))
        if p.status == "absent":
            labels.append((f"person:{p.key}:reason", f"Lý do vắng — {p.name} ({p.reason or 'chưa ghi'})"))
    for number, vote in f.corrected_votes(facts).items():
        for option, count in vote["counts"].items():
            labels.append((f"vote:{number}:{option}", f"Biểu quyết số {number} — {option} ({count})"))
    return labels


def _page(meeting: Meeting, status: int = 200) -> tuple[str, int]:
    user = me()
    minutes = service.minutes_of(meeting)
    facts = service.gather(meeting, minutes)
    items = list(db.session.execute(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                                    .order_by(AgendaItem.position, AgendaItem.id)).scalars())
    texts = {t.agenda_item_id: t for t in db.session.execute(
        select(ItemMinutes).where(ItemMinutes.meeting_id == meeting.id)).scalars()}
    task_rows = {t.id: conclusions.tasks_of(t) for t in texts.values()}
    answers = conclusions.answers_of([task.id for rows in task_rows.values() for task in rows])
    can_conclude = policy.can_conclude(user, meeting)
    context: dict[str, Any] = {
        "meeting": meeting, "user": user, "minutes": minutes, "facts": facts, "items": items, "texts": texts,
        "tasks": task_rows, "answers": answers, "role_labels": ROLE_LABELS, "TaskRole": TaskRole,
        "ended": meeting.status_enum is MeetingStatus.ENDED,
        "is_secretary": policy.is_secretary(user, meeting), "is_chair": policy.is_chair(user, meeting),
        "can_write": policy.can_write_minutes(user, meeting), "can_conclude": can_conclude,
        "doc": minutes.document if minutes else None, "notice_doc": minutes.notice if minutes else None,
        "countdown": notice.countdown(minutes, meeting) if minutes else None,
        "secretary_signed": bool(minutes and service.signed_by_secretary(minutes, meeting)),
        "Status": Status, "corrections": list(db.session.execute(select(FactCorrection).where(
            FactCorrection.meeting_id == meeting.id).order_by(FactCorrection.id)).scalars()),
        "targets": _targets(meeting, facts) if policy.is_secretary(user, meeting) else [],
        "opinions": opinions.opinions_of(user, meeting),
        "can_send_opinion": policy.can_send_opinion(user, participant_of(user, meeting))
        and meeting.status_enum in opinions.BEFORE,
        "can_download": policy.can_download_file(user, meeting),
        "handler_of": {task.id: can_report(user, task) for rows in task_rows.values() for task in rows},
    }
    if can_conclude:
        context["people"] = list(db.session.execute(select(User).where(
            User.organisation_id == meeting.organisation_id, User.active.is_(True)).order_by(User.full_name)).scalars())
        context["units"] = list(db.session.execute(select(Unit).where(
            Unit.organisation_id == meeting.organisation_id, Unit.active.is_(True)).order_by(Unit.name)).scalars())
    if any(context["handler_of"].values()):
        issued = db.session.execute(select(OutgoingDocument).where(
            OutgoingDocument.organisation_id == meeting.organisation_id,
            OutgoingDocument.status == Status.ISSUED.value).order_by(OutgoingDocument.issued_at.desc()).limit(200)
        ).scalars().all()
        visible = document_policy.viewable_among(user, issued)
        context["answerable"] = [d for d in issued if d.id in visible]
    return render_template("meetings/minutes/show.html", **context), status


@bp.route("/<int:meeting_id>/minutes", methods=["GET", "POST"])
@login_required
def show(meeting_id: int) -> Response | tuple[str, int]:
    meeting = get_meeting_for(me(), meeting_id)
    if request.method == "GET":
        return _page(meeting)
    action = request.form.get("action", "")
    try:
        message = actions.perform(me(), meeting, action, request.form)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _page(get_meeting_for(me(), meeting_id), exc.status)
    flash(message, "success")
    return redirect(url_for("meeting_minutes.show", meeting_id=meeting_id))


@bp.route("/tasks")
@login_required
def task_board() -> str:
    """Việc từ kết luận cuộc họp: overdue and due soon."""
    overdue, due = conclusions.board(me())
    return render_template("meetings/minutes/tasks.html", overdue=overdue, due=due,
                           everyone=policy.sees_all_meeting_tasks(me()))


@bp.route("/<int:meeting_id>/minutes/ho-so.zip")
@login_required
def meeting_file(meeting_id: int) -> Response | tuple[str, int]:
    meeting = get_meeting_for(me(), meeting_id)
    try:
        out, name = actions.download_file(me(), meeting)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _page(get_meeting_for(me(), meeting_id), exc.status)
    return send_file(out, mimetype="application/zip", as_attachment=True, download_name=name)

