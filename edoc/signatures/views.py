"""Pages for digital signatures: sign one (choosing the place on an uploaded PDF), sign a batch with live
progress, the person's certificate, the organisation's signature and trusted roots, validation."""

from __future__ import annotations

import math

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from edoc.accounts.models import User
from edoc.accounts.policy import require_admin_of
from edoc.core.db import db
from edoc.core.errors import DomainError, ValidationFailed
from edoc.core.forms import parse_id
from edoc.documents import boxes, policy
from edoc.registers.types import get_type
from edoc.signatures import credentials, organisation, service, trust
from signing.placement import Placement

bp = Blueprint("signatures", __name__, url_prefix="/signatures")


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _upload_bytes(name: str, limit: int, message: str) -> bytes:
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        raise ValidationFailed(message, field=name)
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise ValidationFailed("Tệp quá lớn.", field=name)
    return data


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
    return service.chosen_placement(page - 1, _number("x"), _number("y"))


@bp.route("/sign/<int:doc_id>", methods=["POST"])
@login_required
def sign_one(doc_id: int) -> Response | tuple[str, int]:
    """Sign at the place chosen on the page (the place page's form). A refusal (wrong PIN, a place off the page)
    answers with the same page and the message, so the signer picks again or retypes the PIN."""
    doc = policy.viewable(me(), doc_id)
    try:
        service.sign_one(me(), doc, request.form.get("pin", ""), placement=_chosen_placement())
    except DomainError as exc:
        db.session.rollback()
        doc = policy.viewable(me(), doc_id)
        if not service.can_sign(me(), doc):  # signed meanwhile, or no longer the signer's: the page can say why
            flash(exc.message, "danger")
            return redirect(url_for("documents.show", doc_id=doc.id))
        return render_template("signatures/place.html", doc=doc, pages=service.page_sizes(doc),
                               box_mm=service.SIGNATURE_BOX_MM, error=exc.message), exc.status
    flash("Đã ký số văn bản.", "success")
    return redirect(url_for("documents.show", doc_id=doc.id))


@bp.route("/place/<int:doc_id>")
@login_required
def place(doc_id: int) -> str:
    """Choose where the signature goes on a PDF that has no spot for it."""
    doc = policy.viewable(me(), doc_id)
    policy.require(service.can_sign(me(), doc), "Chỉ người ký được ký số văn bản đã duyệt và chưa ký.")
    return render_template("signatures/place.html", doc=doc, pages=service.page_sizes(doc),
                           box_mm=service.SIGNATURE_BOX_MM)


@bp.route("/page/<int:doc_id>/<int:page>.png")
@login_required
def page_png(doc_id: int, page: int) -> Response:
    doc = policy.viewable(me(), doc_id)
    image = service.page_image(me(), doc, page - 1)
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
    batch_id = service.start_batch(me(), ids, request.form.get("pin", ""))
    state = service.batch_state(me(), batch_id)
    return jsonify(state.to_json()), 200 if state.finished else 202


@bp.route("/batch/<batch_id>")
@login_required
def batch_status(batch_id: str) -> Response:
    """Where a batch stands (a page that reconnected, or missed an event, asks again)."""
    return jsonify(service.batch_state(me(), batch_id[:64]).to_json())


@bp.route("/credential", methods=["GET"])
@login_required
def credential() -> str:
    return render_template("signatures/credential.html",
                           credential=credentials.active_credential(me().organisation_id, me().id),
                           token_enabled=bool(current_app.config["EDOC"].pkcs11_module),
                           min_pin=credentials.MIN_PIN, max_pins=credentials.MAX_PIN_FAILURES,
                           lock_minutes=credentials.PIN_LOCK_MINUTES)


@bp.route("/credential", methods=["POST"])
@login_required
def import_credential() -> Response:
    data = _upload_bytes("p12", credentials.P12_MAX_BYTES, "Chọn tệp chứng thư số (.p12 hoặc .pfx).")
    credentials.import_pkcs12(me(), data, request.form.get("p12_password", ""), request.form.get("pin", ""))
    flash("Đã lưu chứng thư số (khóa bí mật được mã hóa bằng mã PIN của bạn).", "success")
    return redirect(url_for("signatures.credential"))


@bp.route("/credential/token", methods=["POST"])
@login_required
def register_token() -> Response:
    credentials.register_token_key(me(), request.form.get("token_label", ""), request.form.get("key_label", ""),
                                   request.form.get("pin", ""))
    flash("Đã đăng ký khóa trên thiết bị ký số.", "success")
    return redirect(url_for("signatures.credential"))


@bp.route("/validate", methods=["GET", "POST"])
@login_required
def validate() -> str:
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationFailed("Chọn tệp PDF cần kiểm tra.", field="file")
        _row, report, _record = service.validate_upload(me(), upload.stream, upload.filename)
    return render_template("signatures/validate.html", report=report.to_dict() if report else None)


@bp.route("/trust", methods=["GET"])
@login_required
def trust_page() -> str:
    """The organisation's signature (credential and seal) and the roots signatures are trusted up to."""
    require_admin_of(me(), me().organisation, trust.TRUST_ADMINS_ONLY)
    org = me().organisation
    return render_template("signatures/trust.html", roots=organisation.roots_view(org.id), org=org,
                           credential=credentials.active_credential(org.id, None))


@bp.route("/trust", methods=["POST"])
@login_required
def add_root() -> Response:
    require_admin_of(me(), me().organisation, trust.TRUST_ADMINS_ONLY)
    data = _upload_bytes("file", trust.ROOT_MAX_BYTES, "Chọn tệp chứng thư gốc.")
    result = trust.upload_trusted_roots(me(), data, request.form.get("name", ""))
    added, already = len(result.added), len(result.already)
    if not added:
        flash(f"Không thêm chứng thư nào: {already} chứng thư trong tệp đã có trong danh sách tin cậy.", "info")
    else:
        note = f"; {already} chứng thư khác đã có trong danh sách" if already else ""
        flash(f"Đã thêm {added} chứng thư gốc tin cậy{note}.", "success")
    return redirect(url_for("signatures.trust_page"))


@bp.route("/trust/<int:root_id>/delete", methods=["POST"])
@login_required
def remove_root(root_id: int) -> Response:
    trust.remove_trusted_root(me(), root_id)
    flash("Đã gỡ chứng thư gốc khỏi danh sách tin cậy.", "success")
    return redirect(url_for("signatures.trust_page"))


@bp.route("/organisation/credential", methods=["POST"])
@login_required
def organisation_credential() -> Response:
    require_admin_of(me(), me().organisation, trust.TRUST_ADMINS_ONLY)
    data = _upload_bytes("p12", credentials.P12_MAX_BYTES, "Chọn tệp chứng thư số của cơ quan (.p12 hoặc .pfx).")
    credentials.import_organisation_pkcs12(me(), data, request.form.get("p12_password", ""))
    flash("Đã lưu chứng thư số của cơ quan.", "success")
    return redirect(url_for("signatures.trust_page"))


@bp.route("/organisation/seal", methods=["POST"])
@login_required
def organisation_seal() -> Response:
    require_admin_of(me(), me().organisation, trust.TRUST_ADMINS_ONLY)
    data = _upload_bytes("seal", organisation.SEAL_MAX_BYTES, "Chọn ảnh con dấu (PNG nền trong suốt).")
    organisation.set_seal(me(), data, request.form.get("seal_mm", ""))
    flash("Đã lưu ảnh con dấu.", "success")
    return redirect(url_for("signatures.trust_page"))
