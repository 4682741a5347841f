"""Pages for outgoing documents: parse, call one service function (which commits), render or redirect."""

from __future__ import annotations

import json
from dataclasses import asdict

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from edoc.accounts.models import Role, User
from edoc.contacts.service import contacts_of
from edoc.core.db import db
from edoc.core.errors import DomainError, ValidationFailed
from edoc.documents import (
    actions,
    boxes,
    drafting,
    hooks,
    paper,
    policy,
    presentation,
    recall,
    signature_reports,
    signing,
    sources,
)
from edoc.documents.forms import DraftForm
from edoc.documents.models import OutgoingDocument, ReviewComment, Status
from edoc.documents.spec import archive_line
from edoc.files.views import send_stored
from edoc.organisations.models import Unit
from edoc.registers.service import registers_of
from edoc.registers.types import get_type
from edoc.search import service as search_service

bp = Blueprint("documents", __name__, url_prefix="/documents")

def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.route("/")
@login_required
def index() -> str:
    tabs = {key: boxes.BOXES[key] for key in policy.boxes_for(me())}
    tab = request.args.get("tab", "")
    if tab not in tabs:
        tab = "mine" if "mine" in tabs and me().has_role(Role.SPECIALIST) else "inbox"
    query = request.args.get("q", "")
    try:
        # the search box: the index's matches (best first) within the box
        among = search_service.matching_ids(me(), query, "outgoing") if query.strip() else None
    except DomainError as exc:
        flash(exc.message, "danger")
        query, among = "", None
    return render_template("documents/index.html", tab=tab, tabs=tabs, q=query,
                           documents=boxes.list_documents(me(), tab, among=among),
                           unread=boxes.unread_ids(me()), get_type=get_type, can_draft=policy.can_draft(me()),
                           can_see_contacts=policy.can_see_contacts(me()))


def _form(doc: OutgoingDocument | None = None) -> DraftForm:
    user = me()
    form = DraftForm()
    units = list(db.session.execute(select(Unit).where(Unit.organisation_id == user.organisation_id,
                                                       Unit.active.is_(True)).order_by(Unit.name)).scalars())
    users = list(db.session.execute(select(User).where(User.organisation_id == user.organisation_id,
                                                       User.active.is_(True)).order_by(User.full_name)).scalars())
    leaders = [u for u in users if u.has_role(Role.LEADER)]
    registers = [r for r in registers_of(user.organisation_id, outgoing_only=True) if r.active]
    form.set_choices(units, leaders, users, contacts_of(user.organisation_id), registers)
    if request.method == "GET":
        if doc is not None:
            form.fill_from(doc)
        else:
            form.drafting_unit_id.data = str(user.unit_id or "")
    return form


def _save(form: DraftForm, doc: OutgoingDocument | None) -> OutgoingDocument:
    data = form.to_data()
    file = form.source.data
    upload = None
    if file is not None and getattr(file, "filename", ""):
        upload = sources.read_upload(file.stream, file.filename)  # before any write: it may convert a DOCX
    return actions.save_draft(me(), data, doc=doc, upload=upload,
                              expected_version=parse_version(form.base_version.data))


def parse_version(raw: object) -> int | None:
    """The form's version token; absent or not a number (an old page) checks nothing."""
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 9 else None


def _form_page(doc: OutgoingDocument | None) -> Response | str | tuple[str, int]:
    """The draft form for a new document or a new version: save on a valid POST, else show it again. A refusal
    keeps the drafter on the form, with what they typed and the message beside the field it is about."""
    form = _form(doc)
    if form.validate_on_submit():
        try:
            doc = _save(form, doc)
        except drafting.DraftChanged as exc:
            # both versions side by side: the saved one and what this person typed (kept in the form)
            clash = {"by": exc.version.created_by.full_name, "number": exc.version.number,
                     "at": exc.version.created_at,
                     "rows": presentation.draft_differences(json.loads(exc.version.content),
                                                            asdict(form.to_data()))}
            db.session.rollback()
            form.base_version.data = str(clash["number"])  # saving again now is deliberate
            flash(exc.message, "danger")
            return render_template("documents/edit.html", form=form, doc=doc, clash=clash), exc.status
        except DomainError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, None) if exc.field else None
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, exc.message]
            flash(exc.message, "danger")
            return render_template("documents/edit.html", form=form, doc=doc), exc.status
        flash("Đã lưu phiên bản mới." if len(doc.versions) > 1 else "Đã lưu dự thảo.", "success")
        return redirect(url_for("documents.show", doc_id=doc.id))
    if form.errors:
        flash("Biểu mẫu còn lỗi: xem các ô được đánh dấu bên dưới.", "danger")
    return render_template("documents/edit.html", form=form, doc=doc), 400 if form.errors else 200


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Response | str | tuple[str, int]:
    policy.require(policy.can_draft(me()), policy.CANNOT_DRAFT)
    return _form_page(None)


@bp.route("/<int:doc_id>/edit", methods=["GET", "POST"])
@login_required
def edit(doc_id: int) -> Response | str | tuple[str, int]:
    doc = policy.viewable(me(), doc_id)
    if not policy.can_edit(me(), doc):
        # a stale edit page, or an old link: the document's own page, saying why, rather than an error page
        return document_page(doc, status=403, failed="edit", message=policy.cannot_edit_message(doc))
    return _form_page(doc)


@bp.route("/<int:doc_id>")
@login_required
def show(doc_id: int) -> str | tuple[str, int]:
    doc = policy.viewable(me(), doc_id)
    actions.open_document(me(), doc, link=url_for("documents.show", doc_id=doc.id))  # the bell's items about it
    return document_page(doc)


KEPT_FIELDS = ("reason", "text", "form", "copies", "title", "signer_id")
"""What a person typed into the document page's forms, shown again when the action is refused. Never the PIN:
a secret is typed again, not echoed back into the page."""


def document_page(doc: OutgoingDocument, *, status: int = 200, failed: str | None = None,
                  message: str | None = None) -> tuple[str, int]:
    """The document's page; after a refused action (``failed``, e.g. "recall"), with ``message`` beside that
    action's form and what was typed into it kept, answered with the refusal's status."""
    comments = db.session.execute(select(ReviewComment).where(ReviewComment.document_id == doc.id)
                                  .order_by(ReviewComment.id)).scalars().all()
    recipients, status_shown = presentation.recipient_statuses(me(), doc)
    replaced_by = recall.replaced_by(doc) if doc.status == Status.REPLACED.value else None
    kept = {k: request.form.get(k, "") for k in KEPT_FIELDS} if failed else {}
    return render_template("documents/show.html", doc=doc, policy=policy, user=me(),
                           reports=signature_reports.reports_of(doc),
                           comments=comments, recipients=recipients, status_shown=status_shown,
                           archive_line=archive_line(doc), can_dispatch=policy.can_dispatch(me(), doc),
                           doc_type=get_type(doc.type_code), replaced_by=replaced_by,
                           # the replacement's number is shown to all who see this one, a link only to its readers
                           link_replaced_by=replaced_by is not None and policy.can_view(me(), replaced_by),
                           sees_drafts=policy.can_see_drafts(me(), doc),
                           failed=failed, error=message, kept=kept, related=hooks.related(me(), doc)), status


@bp.route("/<int:doc_id>/recipients")
@login_required
def recipients_fragment(doc_id: int) -> str:
    """The Nơi nhận table's rows, which the document page re-fetches when a recipient reads it."""
    doc = policy.viewable(me(), doc_id)
    recipients, status_shown = presentation.recipient_statuses(me(), doc)
    return render_template("documents/_recipients.html", doc=doc, recipients=recipients, status_shown=status_shown,
                           archive_line=archive_line(doc))


PAGE_ACTIONS = (*actions.ACTIONS, "sign", "paper")
NO_SCAN = "Chưa chọn tệp: chọn bản chụp (PDF hoặc ảnh PNG, JPEG) bản gốc đã ký trên giấy rồi bấm “Tải lên bản chụp”."


@bp.route("/<int:doc_id>/<action>", methods=["POST"])
@login_required
def act(doc_id: int, action: str) -> Response | tuple[str, int]:
    """A button of the document page. A refusal (wrong PIN, empty reason, a stale tab) answers with the same
    page, the message beside the form that was used and what was typed kept, not an error page."""
    if action not in PAGE_ACTIONS:
        abort(404)
    doc = policy.viewable(me(), doc_id)
    try:
        if action == "sign":
            signing.sign_one(me(), doc, request.form.get("pin", ""))
            doc, message = doc, "Đã ký số văn bản."
        elif action == "paper":
            upload = request.files.get("scan")
            if upload is None or not upload.filename:
                raise ValidationFailed(NO_SCAN, field="scan")
            name, scan = paper.read_scan(upload.stream, upload.filename)
            actions.keep_paper_scan(me(), doc, name, scan)
            message = ("Đã lưu bản chụp bản gốc ký trên giấy. Kiểm tra bản chụp (đúng văn bản, đủ chữ ký và dấu) "
                       "rồi cấp số, ban hành.")
        else:
            doc, message = actions.perform(me(), doc, action, request.form)
    except DomainError as exc:
        db.session.rollback()
        return document_page(policy.viewable(me(), doc_id), status=exc.status, failed=action, message=exc.message)
    flash(message, "success")
    if action == "replace":
        return redirect(url_for("documents.edit", doc_id=doc.id))
    return redirect(url_for("documents.show", doc_id=doc.id))


@bp.route("/<int:doc_id>/attachments", methods=["POST"])
@login_required
def attach(doc_id: int) -> Response | tuple[str, int]:
    """Phụ lục in a separate file (PDF, DOCX, XLSX, ODT)."""
    doc = policy.viewable(me(), doc_id)
    try:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationFailed("Chưa chọn tệp phụ lục: bấm “Chọn tệp” rồi chọn tệp PDF, DOCX, XLSX hoặc ODT.",
                                   field="file")
        actions.attach(me(), doc, upload.stream, upload.filename, request.form.get("title", ""))
    except DomainError as exc:
        db.session.rollback()
        return document_page(policy.viewable(me(), doc_id), status=exc.status, failed="attach", message=exc.message)
    flash("Đã đính kèm phụ lục.", "success")
    return redirect(url_for("documents.show", doc_id=doc.id))


@bp.route("/<int:doc_id>/pdf")
@login_required
def pdf(doc_id: int) -> Response:
    doc = policy.viewable(me(), doc_id)
    row = doc.issued_file if doc.issued_file is not None else (
        doc.current_version.pdf_file if doc.current_version else None)
    if row is None:
        abort(404)
    return send_stored(row, inline=True)
