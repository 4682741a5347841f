"""Pages for digital signatures that know no document: the person's certificate, the organisation's signature
(credential and seal) and trusted roots, validation of a PDF. Signing documents is
``edoc.documents.signing_views`` (its addresses stay under /signatures/)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from edoc.accounts.models import User
from edoc.accounts.policy import require_admin_of
from edoc.core.errors import ValidationFailed
from edoc.signatures import credentials, organisation, service, trust

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
