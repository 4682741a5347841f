"""Documents signed on paper (ký trên giấy): the explicit way to issue a document its signer did not sign digitally.

The clerk uploads the scan of the signed paper original (a PDF, or a photo or scan as PNG or JPEG, made a PDF here),
looks at it on the document's page, and confirms the issue. The issued file is then the document's text with its
number and date, followed by the scan's pages, signed by the organisation at the top right of its first page with
the number and time (Decree 30, Art. 18.6 and 25.1.c: an electronic document issued from paper is digitised and
signed by the organisation). Pages, the register, the API and recipients say "ký trên giấy"."""

from __future__ import annotations

import io
from typing import BinaryIO

from flask import current_app
from PIL import Image, UnidentifiedImageError

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.errors import Conflict, TooLarge, UnsupportedMedia, ValidationFailed
from edoc.documents import policy
from edoc.documents.models import OutgoingDocument
from edoc.files import sniff
from edoc.files.models import StoredFile
from edoc.files.service import store_bytes, validate_filename
from edoc.rendering.merge import MergeError, page_count

SCAN_TYPES = frozenset({sniff.PDF, sniff.PNG, sniff.JPEG})
SCAN_MIN_DPI = 200
"""Appendix I, Part II, I.2: a digitised document is a PDF at 200 dpi or more; an image is placed on A4 at this
resolution or its own, whichever is finer."""
A4_MM = (210.0, 297.0)

NOT_A_SCAN = ("Bản chụp bản gốc ký trên giấy phải là tệp PDF hoặc ảnh (PNG, JPEG): tệp “{name}” không phải. Hãy quét "
              "(scan) hoặc chụp bản giấy đã ký rồi tải lên tệp PDF hoặc ảnh.")
NEEDS_SIGNATURE = ("Văn bản chưa được người ký ký số và chưa có bản chụp bản gốc ký trên giấy nên chưa ban hành được: "
                   "chờ người ký ký số, hoặc nếu văn bản đã được ký trên giấy, tải lên bản chụp (PDF hoặc ảnh) bản gốc "
                   "đã ký rồi ban hành.")


def require_signature(doc: OutgoingDocument) -> None:
    """Nothing is issued that nobody signed: a digital signature of the signer, or the scan of a paper original
    they signed by hand. Checked inside the issuing transaction, before a number is taken."""
    if doc.signed_file_id is None and doc.paper_scan_file_id is None:
        raise Conflict(NEEDS_SIGNATURE)


def scan_as_pdf(data: bytes, media_type: str, name: str) -> bytes:
    """The scan as a PDF: a PDF must be readable and not encrypted; an image becomes one A4 page."""
    if media_type == sniff.PDF:
        try:
            page_count(data)
        except MergeError as exc:
            raise ValidationFailed(f"Không đọc được bản chụp “{name}”: {exc}.", field="scan") from None
        return data
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            picture = image.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationFailed(f"Không mở được ảnh “{name}”: tệp bị hỏng.", field="scan") from None
    width, height = picture.size
    # fit the whole picture on A4 portrait (or landscape for a wide one) at 200 dpi or finer
    page_w, page_h = A4_MM if height >= width else (A4_MM[1], A4_MM[0])
    dpi = max(SCAN_MIN_DPI, width / (page_w / 25.4), height / (page_h / 25.4))
    out = io.BytesIO()
    picture.save(out, "PDF", resolution=dpi)
    return out.getvalue()


def read_scan(stream: BinaryIO, filename: str | None) -> tuple[str, bytes]:
    """Read and check an uploaded scan before anything is written: (its name, the scan as a PDF)."""
    name = validate_filename(filename)
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"Tệp “{name}” vượt quá dung lượng cho phép ({limit // (1024 * 1024)} MB).")
    found = sniff.sniff(data[:sniff.HEAD_SIZE], io.BytesIO(data))
    if found not in SCAN_TYPES:
        raise UnsupportedMedia(NOT_A_SCAN.format(name=name))
    try:
        media_type = sniff.check_claim(name, found, SCAN_TYPES)
    except UnsupportedMedia:
        raise UnsupportedMedia(NOT_A_SCAN.format(name=name)) from None
    return name, scan_as_pdf(data, media_type, name)


def record_scan(actor: User, doc: OutgoingDocument, name: str, pdf: bytes) -> StoredFile:
    """Keep the scan of the signed paper original with an approved document the signer did not sign digitally,
    so the clerk can look at it, then issue (the caller commits). A later scan replaces the earlier one until
    the document is issued."""
    policy.require_action("issue", actor, doc)
    if doc.signed_file_id is not None:
        raise Conflict("Văn bản đã được người ký ký số: ban hành bản ký số, không cần bản chụp bản giấy.")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    row = store_bytes(pdf, f"{stem}.pdf", uploader=actor, purpose="document", media_type=sniff.PDF)
    previous = doc.paper_scan_file_id
    doc.paper_scan_file_id = row.id
    record("document.paper_scan", doc, actor=actor, changes={
        "file_id": row.id, "name": name, "sha256": row.sha256, "replaces_file_id": previous})
    return row
