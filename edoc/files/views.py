"""Uploading and downloading files: every download passes ``policy.can_read`` first."""

from __future__ import annotations

import io
import logging
from typing import BinaryIO

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wsgi import wrap_file

import storage
import storage.base
from edoc.core.db import db
from edoc.core.errors import DomainError, NotFound, ValidationFailed
from edoc.files import policy, service
from edoc.files.models import StoredFile
from edoc.files.service import StoreUnavailable

bp = Blueprint("files", __name__, url_prefix="/files")
log = logging.getLogger(__name__)

VERIFY_IN_MEMORY = 8 * 1024 * 1024
"""Files up to this size are read and checked in memory; larger ones through ``open_verified`` (the local store
hashes its own file, S3 objects are spooled to a temporary file while hashed). Either way the whole file is
checked before its first byte is sent: a check after the last byte would come too late for the reader."""


class StoredFileDamaged(DomainError):
    status = 503
    code = "stored_file_damaged"


@bp.route("/", methods=["GET"])
@login_required
def index() -> str:
    rows = db.session.execute(
        select(StoredFile).where(StoredFile.uploaded_by_id == current_user.id, StoredFile.purpose == "upload")
        .order_by(StoredFile.id.desc()).limit(200)
    ).scalars()
    return render_template("files/index.html", files=list(rows))


@bp.route("/", methods=["POST"])
@login_required
def upload() -> Response:
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("Chưa chọn tệp để tải lên.", field="file")
    row = service.store_upload(upload.stream, upload.filename, uploader=current_user._get_current_object())
    flash(f"Đã tải lên “{row.original_name}”.", "success")
    return redirect(url_for("files.index"))


def readable_file(file_id: int) -> StoredFile:
    """The one gate for file access: unknown and forbidden look the same, so ids cannot be probed."""
    row = db.session.get(StoredFile, file_id)
    if row is None or not policy.can_read(current_user, row):
        raise NotFound("Không tìm thấy tệp.")
    return row


def send_stored(row: StoredFile, *, inline: bool = False) -> Response:
    """Send a stored file after checking it whole against its SHA-256; a damaged one is a 503 page, never a
    download that looks right.

    Only an operator who set EDOC_S3_PUBLIC_URL gets redirects to presigned S3 URLs instead (attachments only):
    the bytes then go from S3 to the browser unchecked by this server, which is the trade they opted into.
    """
    if not inline and current_app.config["EDOC"].s3_public_url:
        url = service.presigned_url(row)
        if url:
            return redirect(url)  # type: ignore[return-value]
    try:
        body: BinaryIO = (io.BytesIO(service.read_verified(row)) if row.size <= VERIFY_IN_MEMORY
                          else service.open_verified(row))
    except storage.ObjectNotFound:
        log.error("stored file %s: object %s is missing from the store", row.id, row.key)
        raise StoredFileDamaged("Tệp không còn trong kho lưu trữ. Sự cố đã được ghi lại.") from None
    except storage.IntegrityMismatch as exc:
        log.error("stored file %s refused: %s", row.id, exc)
        raise StoredFileDamaged("Tệp trong kho lưu trữ không còn nguyên vẹn (sai mã SHA-256). "
                                "Sự cố đã được ghi lại.") from None
    except storage.StorageUnavailable as exc:
        log.error("stored file %s: %s", row.id, exc)
        raise StoreUnavailable("Kho lưu trữ tệp tạm thời không truy cập được. Vui lòng thử lại sau.") from None
    # The WSGI server's file wrapper may use sendfile() for a real file; the iterable's close() closes (and, for
    # a spooled copy, removes) it when the response ends, also when the client goes away.
    response = Response(wrap_file(request.environ, body, buffer_size=storage.base.CHUNK), mimetype=row.media_type,
                        direct_passthrough=True)
    response.content_length = row.size
    response.headers["Content-Disposition"] = storage.base.content_disposition(
        row.original_name, "inline" if inline else "attachment")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:file_id>")
@login_required
def download(file_id: int) -> Response:
    return send_stored(readable_file(file_id), inline=request.args.get("inline") == "1")


