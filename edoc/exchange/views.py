"""The document page's exchange panel (Gửi qua trục liên thông) and its actions: parse, call the service (it
commits and sends), redirect.

Documents never import exchange: the panel is a template global the document page includes when present."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import DomainError
from edoc.documents import policy as documents_policy
from edoc.documents.models import OutgoingDocument
from edoc.exchange import edxml, incoming, policy, service
from edoc.incoming.models import Channel, IncomingDocument

bp = Blueprint("exchange", __name__, url_prefix="/exchange")


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.app_context_processor
def _panel() -> dict[str, object]:
    def exchange_panel(doc: OutgoingDocument) -> Markup:
        user = me()
        if not user.is_authenticated or not policy.can_see(user, doc):
            return Markup("")
        return Markup(render_template("exchange/_panel.html", doc=doc, messages=service.sent_for(user, doc),
                                      can_send=policy.can_send(user, doc), statuses=edxml.STATUS_LABELS,
                                      business=edxml.BUSINESS_LABELS))
    def exchange_envelope(doc: IncomingDocument) -> Markup:
        """The incoming document's page (which checked access): the verdict on the envelope it came in."""
        if doc.channel != Channel.EDXML.value:
            return Markup("")
        source = incoming.source_of(doc.id)
        if source is None:
            return Markup("")
        return Markup(render_template("exchange/_envelope.html", message=source))

    return {"exchange_panel": exchange_panel, "exchange_envelope": exchange_envelope}


@bp.route("/documents/<int:doc_id>/send", methods=["POST"])
@login_required
def send(doc_id: int) -> Response:
    doc = documents_policy.viewable(me(), doc_id)
    try:
        made = service.send_document(me(), doc, business=request.form.get("business", "new"),
                                     reason=request.form.get("reason", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("documents.show", doc_id=doc.id))  # type: ignore[return-value]
    unsigned = next((m for m in made if m.signature == "unsigned"), None)
    if unsigned is not None:
        flash(f"Gói tin gửi đi không có chữ ký số của cơ quan. {unsigned.signature_note}", "warning")
    failed = [m.peer_name for m in made if m.state == "failed"]
    if failed:
        flash(f"Đã tạo gói tin edXML nhưng chưa gửi được tới: {', '.join(failed)} (xem ghi chú, gửi lại sau).",
              "warning")
    else:
        flash(f"Đã gửi qua trục liên thông tới {len(made)} nơi nhận.", "success")
    return redirect(url_for("documents.show", doc_id=doc.id))  # type: ignore[return-value]


@bp.route("/messages/<int:message_id>.edxml")
@login_required
def download(message_id: int) -> Response:
    message = service.message_for(me(), message_id)
    return Response(service.message_bytes(message), mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="edxml-{message.id}.edxml"'})
