"""Uploading and downloading files: every download passes ``policy.can_read`` first."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

import storage
from edoc.core.db import db
from edoc.core.errors import DomainError, NotFound, ValidationFailed
from edoc.files import policy, service
from edoc.files.models import StoredFile

bp = Blueprint("files", __name__, url_prefix="/files")
VERIFY_BEFORE_SENDING = 32 * 1024 * 1024


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
    url = service.presigned_url(row) if not inline else None
    if url:
        return redirect(url)  # type: ignore[return-value]
    try:
        if row.size <= VERIFY_BEFORE_SENDING:
            # Small files are checked whole before the first byte leaves, so damage gives a clear error page.
            data = service.read_verified(row)
            chunks: Iterator[bytes] = iter([data])
        else:
            chunks = service.iter_verified(row)
        first = next(chunks, b"")
    except storage.ObjectNotFound:
        raise StoredFileDamaged("Tệp không còn trong kho lưu trữ. Sự cố đã được ghi lại.") from None
    except storage.IntegrityMismatch:
        raise StoredFileDamaged("Tệp trong kho lưu trữ không còn nguyên vẹn (sai mã SHA-256).") from None

    def body() -> Iterator[bytes]:
        yield first
        # A mismatch found in a large file's tail aborts the transfer, so the client never holds a whole bad file.
        yield from chunks

    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(row.original_name)}",
        "Content-Length": str(row.size),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return Response(stream_with_context(body()), mimetype=row.media_type, headers=headers)


@bp.route("/<int:file_id>")
@login_required
def download(file_id: int) -> Response:
    return send_stored(readable_file(file_id), inline=request.args.get("inline") == "1")


