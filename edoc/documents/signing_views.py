"""Pages for the signer's digital signature on outgoing documents: sign one (choosing the place on an uploaded
PDF), the documents waiting for it, and a batch with live progress. Their addresses stay under /signatures/
(bookmarks, the signer's menu), on a blueprint of their own; the person's certificate, the organisation's
signature and validation are ``edoc.signatures.views``."""

from __future__ import annotations

import math

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import DomainError, ValidationFailed
from edoc.core.forms import parse_id
from edoc.documents import batch_signing, boxes, policy, signing
from edoc.registers.types import get_type
from edoc.signatures import credentials
from signing.placement import Placement

bp = Blueprint("signing", __name__, url_prefix="/signatures")


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _number(name: str) -> float:
    try:
        value = float(request.form.get(name, ""))
    except ValueError:
        raise ValidationFailed("Vị trí ký không hợp lệ.", field=name) from None
    if not math.isfinite(value):
        raise ValidationFailed("Vị trí ký không hợp lệ.", field=name)
    return value


def _chosen_placement() -> Placement | None:
    if not request.form.get("page"):
        return None
    page = int(_number("page"))
    return signing.chosen_placement(page - 1, _number("x"), _number("y"))


@bp.route("/sign/<int:doc_id>", methods=["POST"])
@login_required
def sign_one(doc_id: int) -> Response | tuple[str, int]:
    """Sign at the place chosen on the page (the place page's form). A refusal (wrong PIN, a place off the page)
    answers with the same page and the message, so the signer picks again or retypes the PIN."""
    doc = policy.viewable(me(), doc_id)
    try:
        signing.sign_one(me(), doc, request.form.get("pin", ""), placement=_chosen_placement())
    except DomainError as exc:
        db.session.rollback()
        doc = policy.viewable(me(), doc_id)
        if not policy.can_sign(me(), doc):  # signed meanwhile, or no longer the signer's: the page can say why
            flash(exc.message, "danger")
            return redirect(url_for("documents.show", doc_id=doc.id))
        return render_template("signatures/place.html", doc=doc, pages=signing.page_sizes(doc),
                               box_mm=signing.SIGNATURE_BOX_MM, error=exc.message), exc.status
    flash("Đã ký số văn bản.", "success")
    return redirect(url_for("documents.show", doc_id=doc.id))


@bp.route("/place/<int:doc_id>")
@login_required
def place(doc_id: int) -> str:
    """Choose where the signature goes on a PDF that has no spot for it."""
    doc = policy.viewable(me(), doc_id)
    policy.require(policy.can_sign(me(), doc), signing.NOT_THE_SIGNER)
    return render_template("signatures/place.html", doc=doc, pages=signing.page_sizes(doc),
                           box_mm=signing.SIGNATURE_BOX_MM)


@bp.route("/page/<int:doc_id>/<int:page>.png")
@login_required
def page_png(doc_id: int, page: int) -> Response:
    doc = policy.viewable(me(), doc_id)
    image = signing.page_image(me(), doc, page - 1)
    return Response(image, mimetype="image/png", headers={"Cache-Control": "private, max-age=300"})


@bp.route("/pending")
@login_required
def pending() -> str:
    credential = credentials.active_credential(me().organisation_id, me().id)
    return render_template("signatures/pending.html", documents=boxes.awaiting_signature(me()),
                           credential=credential, get_type=get_type)


@bp.route("/batch", methods=["POST"])
@login_required
def batch() -> tuple[Response, int]:
    """Start signing the chosen documents as jobs; progress goes to the signer's own channel as each one is done.
    The answer is the batch's state: finished (200) when the jobs ran at once, else under way (202)."""
    ids = [parse_id(x, field="ids") for x in request.form.getlist("ids")]
    batch_id = batch_signing.start_batch(me(), ids, request.form.get("pin", ""))
    state = batch_signing.batch_state(me(), batch_id)
    return jsonify(state.to_json()), 200 if state.finished else 202


@bp.route("/batch/<batch_id>")
@login_required
def batch_status(batch_id: str) -> Response:
    """Where a batch stands (a page that reconnected, or missed an event, asks again)."""
    return jsonify(batch_signing.batch_state(me(), batch_id[:64]).to_json())
