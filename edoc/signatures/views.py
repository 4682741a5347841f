"""Pages for digital signatures: sign one, sign a batch with live progress, import a certificate, validate."""

from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.core.db import db
from edoc.core.errors import NotAllowed, ValidationFailed
from edoc.core.forms import parse_id
from edoc.documents import policy
from edoc.documents.models import OutgoingDocument, Status
from edoc.files import sniff
from edoc.files.service import read_verified, store_upload
from edoc.realtime.events import user_room
from edoc.signatures import service
from edoc.signatures.models import SigningCredential, TrustedRoot

bp = Blueprint("signatures", __name__, url_prefix="/signatures")


def me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _pin() -> str:
    pin = request.form.get("pin", "")
    if not pin:
        raise ValidationFailed("Nhập mã PIN ký số.", field="pin")
    return pin


@bp.route("/sign/<int:doc_id>", methods=["POST"])
@login_required
def sign_one(doc_id: int) -> Response:
    doc = policy.viewable(me(), doc_id)
    key = service.user_key(me(), _pin())
    service.sign_document(me(), doc, key)
    db.session.commit()
    flash("Đã ký số văn bản.", "success")
    return redirect(url_for("documents.show", doc_id=doc.id))


@bp.route("/pending")
@login_required
def pending() -> str:
    rows = db.session.execute(select(OutgoingDocument).where(
        OutgoingDocument.signer_id == me().id, OutgoingDocument.status == Status.APPROVED.value,
        OutgoingDocument.signed_file_id.is_(None)).order_by(OutgoingDocument.id)).scalars().all()
    credential = service.active_credential(me().organisation_id, me().id)
    return render_template("signatures/pending.html", documents=rows, credential=credential)


@bp.route("/batch", methods=["POST"])
@login_required
def batch() -> Response:
    """Sign the chosen documents; progress goes to the signer's own channel as each one is done."""
    ids = [parse_id(x, field="ids") for x in request.form.getlist("ids")]
    if not ids:
        raise ValidationFailed("Chọn ít nhất một văn bản để ký.", field="ids")
    server = current_app_socketio()
    room = user_room(me().id)

    def progress(done: int, total: int, doc_id: int, error: str | None) -> None:
        server.emit("signing.progress", {"done": done, "total": total, "document_id": doc_id, "error": error},
                    to=room)

    signed, errors = service.sign_batch(me(), ids, _pin(), progress)
    return jsonify({"signed": signed, "total": len(ids), "errors": errors})


def current_app_socketio():  # noqa: ANN201  (Flask-SocketIO's server object)
    from flask import current_app

    return current_app.extensions["socketio"]


@bp.route("/credential", methods=["POST"])
@login_required
def import_credential() -> Response:
    upload = request.files.get("p12")
    if upload is None or not upload.filename:
        raise ValidationFailed("Chọn tệp chứng thư số (.p12 hoặc .pfx).", field="p12")
    data = upload.stream.read(1024 * 1024 + 1)
    if len(data) > 1024 * 1024:
        raise ValidationFailed("Tệp chứng thư số quá lớn.", field="p12")
    service.import_pkcs12(me(), data, request.form.get("p12_password", ""), request.form.get("pin", ""))
    db.session.commit()
    flash("Đã lưu chứng thư số (mã hóa bằng mã PIN của bạn).", "success")
    return redirect(url_for("auth.profile"))


@bp.route("/validate", methods=["GET", "POST"])
@login_required
def validate() -> str | tuple[str, int]:
    report = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationFailed("Chọn tệp PDF cần kiểm tra.", field="file")
        row = store_upload(upload.stream, upload.filename, uploader=me(), purpose="upload",
                           allowed=frozenset({sniff.PDF}), commit=False)
        report, _record = service.validate_file(me(), row.id, read_verified(row))
        db.session.commit()
    return render_template("signatures/validate.html", report=report)


@bp.route("/trust", methods=["GET", "POST"])
@login_required
def trust() -> Response | str:
    if not me().has_role(Role.ADMIN):
        raise NotAllowed("Chỉ quản trị viên quản lý danh sách chứng thư gốc tin cậy.")
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed("Chọn tệp chứng thư gốc.", field="file")
        data = upload.stream.read(256 * 1024)
        if data.lstrip().startswith(b"-----BEGIN"):
            from asn1crypto import pem

            try:
                _type, _headers, data = pem.unarmor(data)
            except ValueError:
                raise ValidationFailed("Tệp PEM không hợp lệ.", field="file") from None
        service.add_trusted_root(me(), me().organisation, data, request.form.get("name", ""))
        db.session.commit()
        flash("Đã thêm chứng thư gốc tin cậy.", "success")
        return redirect(url_for("signatures.trust"))
    roots = db.session.execute(select(TrustedRoot).where(TrustedRoot.organisation_id == me().organisation_id)
                               ).scalars().all()
    credential = service.active_credential(me().organisation_id, None)
    return render_template("signatures/trust.html", roots=roots, credential=credential)


def credential_of(user: User) -> SigningCredential | None:
    return service.active_credential(user.organisation_id, user.id)


