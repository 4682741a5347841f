"""Pages for incoming documents under /incoming: parse, call one service function (which commits), render or redirect.
A refusal is shown on the page the user was on, with the status it deserves."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from edoc.accounts.models import User
from edoc.contacts.service import contacts_of
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from edoc.core.errors import DomainError, ValidationFailed
from edoc.core.forms import parse_id
from edoc.documents.models import OutgoingDocument, Secrecy, Urgency
from edoc.incoming import board as board_mod
from edoc.incoming import export, forms, policy, service
from edoc.incoming import registers as registers_mod
from edoc.incoming.intake import Part
from edoc.incoming.mailbox_views import bp as mailbox_bp
from edoc.incoming.models import IncomingDocument
from edoc.organisations.models import Unit
from edoc.registers.types import DOCUMENT_TYPES, TypeKind
from edoc.signatures.models import ValidationRecord
from edoc.tasks import policy as task_policy
from edoc.tasks import service as tasks
from edoc.tasks.service import get_task

bp = Blueprint("incoming", __name__, url_prefix="/incoming")
bp.register_blueprint(mailbox_bp)  # the e-mail channel's settings page, /incoming/mailbox


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.route("/")
@login_required
def index() -> str:
    user = me()
    default = "received" if policy.is_clerk(user) else "presented" if user.has_role("leader") else "assigned"
    box = request.args.get("box", default)
    if box not in service.BOXES:
        box = default
    docs = service.list_documents(user, box)
    return render_template("incoming/index.html", box=box, boxes=service.BOXES, docs=docs, service=service,
                           can_register=policy.can_register(user))


def _choices() -> dict[str, Any]:
    org_id = me().organisation_id
    types = [t for t in DOCUMENT_TYPES.values() if t.kind is not TypeKind.COPY]
    users = list(db.session.execute(select(User).where(User.organisation_id == org_id, User.active.is_(True))
                                    .order_by(User.full_name)).scalars())
    return {"contacts": contacts_of(org_id), "types": types, "secrecies": [s.value for s in Secrecy if s.value],
            "urgencies": [u.value for u in Urgency if u.value], "users": users}


def _parts(name: str) -> list[Part]:
    # Read whole: a scan is a few MB and becomes one PDF in memory anyway (MAX_CONTENT_LENGTH bounds it).
    return [Part(f.filename or "tep", f.read()) for f in request.files.getlist(name) if f and f.filename]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Response | str | tuple[str, int]:
    """Register a paper scan or an electronic file: fields, files, số đến."""
    user = me()
    policy.require(policy.can_register(user), "Chỉ văn thư được vào sổ văn bản đến.")
    if request.method == "GET":
        return render_template("incoming/new.html", form={}, **_choices())
    allow_duplicate = request.form.get("allow_duplicate") == "1"
    duplicate_of: int | None = None
    try:
        data = forms.incoming_data(request.form, request.form.getlist("reader_ids"))
        data = service.precheck(user, data, allow_duplicate=allow_duplicate)
        arrival = service.check_files(user.organisation_id, _parts("file"), _parts("attachments"), validate=False)
        doc = service.register_arrival(user, data, arrival, channel=request.form.get("channel", "paper"),
                                       allow_duplicate=allow_duplicate)
    except DomainError as exc:
        db.session.rollback()
        duplicate_of = getattr(exc, "existing_id", None)
        flash(exc.message, "danger")
        return render_template("incoming/new.html", form=request.form, error_field=exc.field,
                               duplicate_of=duplicate_of, **_choices()), exc.status
    flash(f"Đã vào sổ: số đến {doc.arrival_number}/{doc.year}.", "success")
    return redirect(url_for("incoming.show", doc_id=doc.id))


def _show(doc: IncomingDocument, status: int = 200) -> tuple[str, int]:
    user = me()
    org_id = user.organisation_id
    all_tasks = tasks.tasks_of_subject(service.SUBJECT, doc.id)
    units = list(db.session.execute(select(Unit).where(Unit.organisation_id == org_id, Unit.active.is_(True))
                                    .order_by(Unit.name)).scalars())
    report = db.session.get(ValidationRecord, doc.validation_id) if doc.validation_id else None
    return render_template(
        "incoming/show.html", doc=doc, user=user, policy=policy, task_policy=task_policy, tasks=all_tasks,
        leaders=service.leaders_of(org_id), units=units, report=json.loads(report.report) if report else None,
        suggestion=service.suggested_deadline(doc) if policy.can_direct(user, doc) else None,
        presentation_due=service.presentation_due(doc), overdue_presentation=service.presentation_overdue(doc),
        reply=db.session.get(OutgoingDocument, doc.reply_document_id) if doc.reply_document_id else None,
        answerable=service.answerable(user) if policy.can_finish(user, doc) else [],
        **_choices()), status


@bp.route("/<int:doc_id>")
@login_required
def show(doc_id: int) -> tuple[str, int]:
    return _show(policy.viewable(me(), doc_id))


def _act(doc_id: int, action: Any, message: str) -> Response | tuple[str, int]:
    """Run one action on a document the user can see; on refusal show the document again with the message."""
    doc = policy.viewable(me(), doc_id)
    try:
        action(doc)  # the service function commits
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _show(policy.viewable(me(), doc_id), exc.status)
    flash(message, "success")
    return redirect(url_for("incoming.show", doc_id=doc_id))


@bp.route("/<int:doc_id>/register", methods=["POST"])
@login_required
def register(doc_id: int) -> Response | tuple[str, int]:
    """An arrival waiting in the queue (e-mail, same installation): checked and numbered."""
    def run(doc: IncomingDocument) -> None:
        data = forms.incoming_data(request.form, request.form.getlist("reader_ids"))
        service.register_received(me(), doc, data, allow_duplicate=request.form.get("allow_duplicate") == "1")
    return _act(doc_id, run, "Đã vào sổ văn bản đến.")


@bp.route("/<int:doc_id>/present", methods=["POST"])
@login_required
def present(doc_id: int) -> Response | tuple[str, int]:
    return _act(doc_id, lambda doc: service.present(me(), doc, parse_id(request.form.get("leader_id"),
                                                                        field="leader_id")),
                "Đã trình lãnh đạo.")


@bp.route("/<int:doc_id>/direct", methods=["POST"])
@login_required
def direct(doc_id: int) -> Response | tuple[str, int]:
    def run(doc: IncomingDocument) -> None:
        lines = forms.assignees_from_form(request.form.get("lead", ""), request.form.getlist("cooperate"),
                                          request.form.getlist("inform"))
        if lines and request.form.get("instructions"):
            lines[0] = tasks.Assignee(lines[0].role, lines[0].user_id, lines[0].unit_id,
                                      request.form.get("instructions", ""), lines[0].deadline)
        service.direct(me(), doc, request.form.get("direction", ""), lines,
                       deadline=forms.parse_date(request.form.get("deadline"), field="deadline",
                                                 label="Hạn giải quyết"))
    return _act(doc_id, run, "Đã ghi ý kiến chỉ đạo và giao việc.")


@bp.route("/<int:doc_id>/tasks/<int:task_id>/pass-on", methods=["POST"])
@login_required
def pass_on(doc_id: int, task_id: int) -> Response | tuple[str, int]:
    def run(doc: IncomingDocument) -> None:
        user_id, _unit = forms.target(f"user:{request.form.get('user_id', '')}")
        assert user_id is not None
        service.pass_on(me(), doc, get_task(me(), task_id), user_id, request.form.get("instructions", ""),
                        forms.parse_date(request.form.get("deadline"), field="deadline", label="Hạn giải quyết"))
    return _act(doc_id, run, "Đã giao tiếp cho chuyên viên.")


@bp.route("/<int:doc_id>/tasks/<int:task_id>/report", methods=["POST"])
@login_required
def report(doc_id: int, task_id: int) -> Response | tuple[str, int]:
    def run(doc: IncomingDocument) -> None:
        service.report(me(), doc, get_task(me(), task_id), progress=forms.progress(request.form.get("progress")),
                       note=request.form.get("note", ""), done=request.form.get("done") == "1")
    return _act(doc_id, run, "Đã ghi tiến độ.")


@bp.route("/<int:doc_id>/finish", methods=["POST"])
@login_required
def finish(doc_id: int) -> Response | tuple[str, int]:
    def run(doc: IncomingDocument) -> None:
        reply = request.form.get("reply_document_id", "")
        service.finish(me(), doc, result=request.form.get("result", ""),
                       reply_document_id=parse_id(reply, field="reply_document_id") if reply else None)
    return _act(doc_id, run, "Đã kết thúc xử lý văn bản.")


@bp.route("/<int:doc_id>/attach", methods=["POST"])
@login_required
def attach(doc_id: int) -> Response | tuple[str, int]:
    return _act(doc_id, lambda doc: service.attach_files(me(), doc, _parts("attachments")), "Đã đính kèm tệp.")


@bp.route("/<int:doc_id>/file", methods=["POST"])
@login_required
def file(doc_id: int) -> Response | tuple[str, int]:
    return _act(doc_id, lambda doc: service.file_document(me(), doc), "Đã lưu hồ sơ.")


@bp.route("/<int:doc_id>/return", methods=["POST"])
@login_required
def return_(doc_id: int) -> Response | tuple[str, int]:
    return _act(doc_id, lambda doc: service.return_to_sender(me(), doc, request.form.get("reason", "")),
                "Đã trả lại văn bản cho nơi gửi.")



# --- registers and the board --------------------------------------------------------------------------

def _year() -> int:
    raw = request.args.get("year", "")
    if not raw:
        return vietnam_today().year
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise ValidationFailed("Năm không hợp lệ.", field="year")
    return int(raw)


def _month() -> int | None:
    raw = request.args.get("month", "")
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 12:
        raise ValidationFailed("Tháng không hợp lệ.", field="month")
    return int(raw)


REGISTER_KINDS = {"register": ("Sổ đăng ký văn bản đến", registers_mod.REGISTER_COLUMNS),
                  "tracker": ("Sổ theo dõi giải quyết văn bản đến", registers_mod.TRACKER_COLUMNS)}


def _register_rows() -> tuple[str, str, list[str], int, int | None, str, list[registers_mod.Row]]:
    user = me()
    policy.require(policy.can_read_register(user), "Sổ văn bản đến dành cho văn thư và lãnh đạo.")
    kind = request.args.get("kind", "register")
    if kind not in REGISTER_KINDS:
        raise ValidationFailed("Loại sổ không hợp lệ.", field="kind")
    title, columns = REGISTER_KINDS[kind]
    year, month, query = _year(), _month(), request.args.get("q", "").strip()[:200]
    rows = (registers_mod.register_rows(user, year, month=month, query=query) if kind == "register"
            else registers_mod.tracker_rows(user, year, month=month, query=query))
    return kind, title, columns, year, month, query, rows


@bp.route("/registers")
@login_required
def registers() -> str:
    kind, title, columns, year, month, query, rows = _register_rows()
    return render_template("incoming/registers.html", kind=kind, title=title, columns=columns, year=year,
                           month=month, q=query, rows=rows, cell_text=registers_mod.cell_text, kinds=REGISTER_KINDS)


def _download(data: bytes, name: str, mimetype: str) -> Response:
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "private"})


@bp.route("/registers.xlsx")
@login_required
def registers_xlsx() -> Response:
    kind, title, columns, year, _m, _q, rows = _register_rows()
    return _download(export.to_xlsx(me().organisation.name, title, year, columns, rows),
                     f"{'so-van-ban-den' if kind == 'register' else 'so-theo-doi-giai-quyet'}-{year}.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/registers.pdf")
@login_required
def registers_pdf() -> Response:
    kind, title, columns, year, _m, _q, rows = _register_rows()
    return _download(export.to_pdf(me().organisation.name, title, year, columns, rows),
                     f"{'so-van-ban-den' if kind == 'register' else 'so-theo-doi-giai-quyet'}-{year}.pdf",
                     "application/pdf")


@bp.route("/board")
@login_required
def board() -> str:
    user = me()
    policy.require(policy.can_see_board(user), "Bảng theo dõi dành cho lãnh đạo và văn thư.")
    year = _year()
    data = board_mod.board(user, year)
    chart = {
        "months": [f"T{m}" for m in range(1, 13)],
        "kinds": board_mod.KINDS,
        "by_month": {k: [data.by_month[m][k] for m in range(1, 13)] for k in board_mod.KINDS},
        "month_links": {k: [url_for("incoming.board_list", year=year, kind=k, month=m) for m in range(1, 13)]
                        for k in board_mod.KINDS},
        "units": [name for _id, name, _c in data.by_unit],
        "by_unit": {k: [c[k] for _id, _n, c in data.by_unit] for k in board_mod.KINDS},
        "unit_links": {k: [url_for("incoming.board_list", year=year, kind=k, unit=uid) for uid, _n, _c in
                           data.by_unit] for k in board_mod.KINDS},
    }
    return render_template("incoming/board.html", data=data, kinds=board_mod.KINDS, year=year,
                           chart=chart)


@bp.route("/board/list")
@login_required
def board_list() -> str:
    user = me()
    policy.require(policy.can_see_board(user), "Bảng theo dõi dành cho lãnh đạo và văn thư.")
    kind = request.args.get("kind", "received")
    if kind not in board_mod.KINDS:
        raise ValidationFailed("Loại số liệu không hợp lệ.", field="kind")
    raw_unit = request.args.get("unit", "")
    unit_id = parse_id(raw_unit, field="unit") if raw_unit and raw_unit != "0" else (0 if raw_unit == "0" else None)
    year, month = _year(), _month()
    docs = board_mod.documents_for(user, year, kind, unit_id=unit_id, month=month)
    return render_template("incoming/index.html", box="", boxes=service.BOXES, docs=docs, service=service,
                           can_register=False, heading=f"{board_mod.KINDS[kind]} — năm {year}"
                           + (f", tháng {month}" if month else ""))
