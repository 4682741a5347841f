"""Where a document's PDF comes from: rendered from the structured text (Appendix I layout), converted from
an uploaded DOCX, or an uploaded PDF as is; and what happens to it at issue (number and date filled into
the fields the renderer left).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import db, end_read_transaction
from edoc.core.errors import Conflict, TooLarge, ValidationFailed
from edoc.documents import drafting, policy
from edoc.documents.drafting import DraftData
from edoc.documents.models import OutgoingDocument
from edoc.documents.sealing import seal_attachments, seal_issued
from edoc.documents.signature_reports import validate_entering
from edoc.documents.spec import spec_for
from edoc.files import sniff
from edoc.files.conversion import docx_to_pdf  # on the job queue (issue 9)
from edoc.files.service import read_verified, store_bytes, store_upload, validate_filename
from edoc.rendering import placeholders, render_pdf
from edoc.rendering.convert import ConversionError
from edoc.rendering.dates import day_str, month_str, number_str
from edoc.rendering.merge import MergeError, join
from edoc.signatures.digitised import sign_digitised
from signing.forms import PADDING, field_boxes, fill_text_fields

log = logging.getLogger(__name__)
SOURCE_TYPES = frozenset({sniff.PDF, sniff.DOCX})


@dataclass(frozen=True)
class Upload:
    """An uploaded draft, read and checked before anything is written: its bytes, its PDF (LibreOffice's for a
    DOCX) and where the number and date fields go on its first page."""

    name: str
    media_type: str
    data: bytes
    pdf: bytes
    layout: placeholders.Layout

    @property
    def source(self) -> str:
        return "docx" if self.media_type == sniff.DOCX else "pdf"


def read_upload(stream: BinaryIO, filename: str | None) -> Upload:
    """Read and check an uploaded draft (DOCX or PDF). Call it before the request writes anything: a DOCX
    conversion takes up to a minute, and the read transaction is ended first so that it holds no lock (on SQLite
    every transaction holds the write lock, see docs/decisions.md) while LibreOffice works. Nothing is stored
    here, so a refused file leaves nothing behind."""
    name = validate_filename(filename)
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"Tệp “{name}” vượt quá dung lượng cho phép ({limit // (1024 * 1024)} MB).")
    media_type = sniff.check_claim(name, sniff.sniff(data[:sniff.HEAD_SIZE], io.BytesIO(data)), SOURCE_TYPES)
    if media_type == sniff.DOCX:
        end_read_transaction()
        try:
            pdf = docx_to_pdf(data)
        except ConversionError as exc:
            raise ValidationFailed(f"Không mở được tệp DOCX “{name}”: {exc}", field="source") from None
    else:
        problem = pdf_problem(data)
        if problem:
            raise ValidationFailed(f"Tệp PDF “{name}” không đọc được: {problem}", field="source")
        pdf = data
    try:
        layout = placeholders.locate(pdf)
    except placeholders.PlaceholderError as exc:
        raise ValidationFailed(f"Tệp “{name}” chưa dùng được làm dự thảo: {exc}.", field="source") from None
    return Upload(name, media_type, data, pdf, layout)


def attach_upload(actor: User, doc: OutgoingDocument, upload: Upload) -> None:
    """The current version's files from an upload: the ký hiệu it prints must be the one its register and type
    give (what is printed is what gets numbered), and it gets the renderer's number and date fields."""
    version = doc.current_version
    assert version is not None
    if upload.layout.notation != doc.notation:
        raise ValidationFailed(
            f"Ký hiệu trong tệp “{upload.name}” (“/{upload.layout.notation}”) khác ký hiệu theo loại văn bản và sổ "
            f"đã chọn (“/{doc.notation}”): sửa tệp, hoặc chọn lại loại văn bản và sổ.", field="source")
    try:
        pdf = placeholders.with_fields(upload.pdf, upload.layout)
    except placeholders.PlaceholderError as exc:
        raise ValidationFailed(f"Tệp “{upload.name}” chưa dùng được làm dự thảo: {exc}.", field="source") from None
    source = store_bytes(upload.data, upload.name, uploader=actor, purpose="document-source",
                         media_type=upload.media_type)
    record("file.upload", source, actor=actor, changes={"name": source.original_name, "sha256": source.sha256,
                                                        "size": source.size, "media_type": source.media_type})
    pdf_file = store_bytes(pdf, _pdf_name(upload.name), uploader=actor, purpose="document", media_type=sniff.PDF)
    version.source_file_id, version.pdf_file_id = source.id, pdf_file.id
    validate_entering(actor, doc, source, context="version")


def save_draft(actor: User, data: DraftData, *, doc: OutgoingDocument | None = None,
               upload: Upload | None = None, expected_version: int | None = None) -> OutgoingDocument:
    """A new draft or a new version, typed (rendered here) or uploaded (read by ``read_upload`` first); the
    caller commits. ``expected_version``: the version the form was opened on (``drafting.update_draft``)."""
    source = upload.source if upload is not None else "structured"
    if doc is None:
        doc = drafting.create_draft(actor, data, source=source)
    else:
        drafting.update_draft(actor, doc, data, source=source, expected_version=expected_version)
    if upload is None:
        render_version(doc)
    else:
        attach_upload(actor, doc, upload)
    return doc


ATTACHMENT_TYPES = frozenset({sniff.PDF, sniff.DOCX, sniff.XLSX, sniff.ODT})


def add_attachment(actor: User, doc: OutgoingDocument, stream: BinaryIO, filename: str, title: str) -> None:
    """Authorise first, so a refused attachment never reaches the store."""
    policy.require_edit(actor, doc)
    file = store_upload(stream, filename, uploader=actor, purpose="attachment", allowed=ATTACHMENT_TYPES,
                        commit=False)
    drafting.add_attachment(actor, doc, file, title)
    validate_entering(actor, doc, file, context="attachment")


def pdf_problem(data: bytes) -> str | None:
    """Why an uploaded PDF cannot be used (corrupt, truncated, encrypted), or None."""
    import io

    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            return "tệp được mã hóa (đặt mật khẩu); hãy gỡ mật khẩu rồi tải lại"
        _ = reader.root["/Pages"]
    except (PdfError, KeyError, ValueError, TypeError, IndexError, OSError) as exc:
        return f"tệp bị hỏng hoặc không đầy đủ ({type(exc).__name__})"
    return None


def _pdf_name(name: str) -> str:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem}.pdf"


def render_version(doc: OutgoingDocument) -> None:
    """Render the current version to PDF when it was typed in the page (uploads already have their PDF)."""
    version = doc.current_version
    if version is None or version.source != "structured":
        return
    rendered = render_pdf(spec_for(doc))
    drafter = doc.drafter or db.session.get(User, doc.drafter_id)
    version.pdf_file_id = store_bytes(rendered.pdf, f"du-thao-v{version.number}.pdf", uploader=drafter,
                                      purpose="document", media_type=sniff.PDF).id


def finalise_issued(actor: User, doc: OutgoingDocument) -> None:
    """Fill the number and date into the approved PDF, in an incremental update that keeps earlier
    signatures valid, and keep the result as the issued file (same transaction as the issue)."""
    assert doc.number is not None and doc.issued_on is not None, "finalise_issued follows service.issue"
    version = doc.current_version
    if version is None or version.pdf_file is None:
        # issuing it anyway would give recipients a number and nothing to read; raised inside the issuing
        # transaction, so the number taken for it is rolled back
        raise Conflict("Dự thảo được duyệt chưa có bản PDF nên không cấp số được; người soạn cần lưu lại dự thảo "
                       "(phiên bản mới, có bản PDF) và trình ký lại.")
    # The signer signed before the number existed: fill the number into that signed file, then seal it.
    pdf = read_verified(doc.signed_file if doc.signed_file is not None else version.pdf_file)
    boxes = field_boxes(pdf)
    values = {"doc_number": number_str(doc.number), "doc_day": day_str(doc.issued_on),
              "doc_month": month_str(doc.issued_on), "doc_year": str(doc.issued_on.year)}
    if "doc_number" not in boxes:
        # a draft uploaded before uploads got their fields: issuing it would give a PDF without its number
        raise Conflict("Bản PDF được duyệt không có chỗ điền số và ngày ban hành; người soạn cần tải lại dự thảo "
                       "(phiên bản mới) và trình ký lại.")
    if "doc_year" not in boxes:
        year = _printed_year(pdf)
        if year is not None and year != doc.issued_on.year:
            raise Conflict(f"Dự thảo in sẵn “năm {year}” nhưng văn bản ban hành năm {doc.issued_on.year}; người "
                           "soạn cần sửa năm trong tệp, tải lại và trình ký lại.")
    x1, y1, x2, y2 = boxes["doc_number"].box
    size = (y2 - y1) / 1.1  # fields are 1.1 em tall (edoc.rendering.html, edoc.rendering.placeholders)
    if len(values["doc_number"]) * 0.5 * size > (x2 - x1) - PADDING + 0.5:
        # drawn anyway it would be clipped at the box: a number nobody can read is worse than a refusal
        raise Conflict(f"Số {values['doc_number']} không vừa ô số của bản đã duyệt; người soạn cần tạo lại bản PDF "
                       "(phiên bản mới) và trình ký lại.")
    present = {k: v for k, v in values.items() if k in boxes}
    pdf = fill_text_fields(pdf, present)
    if doc.signed_on_paper:
        pdf = _digitised(actor, doc, pdf)
    else:
        pdf = seal_issued(actor, doc, pdf)
    name = f"{doc.reference.replace('/', '-')}.pdf"
    doc.issued_file_id = store_bytes(pdf, name, uploader=actor, purpose="document", media_type=sniff.PDF).id
    seal_attachments(actor, doc)


def _digitised(actor: User, doc: OutgoingDocument, pdf: bytes) -> bytes:
    """A document signed on paper, issued electronically (Decree 30, Art. 18.6 and 25.1.c): its text with the
    number and date filled in, then the pages of the scan of its signed paper original, signed by the organisation
    with the number and time at the top right of the first page. Refused (and the number rolled back) without the
    organisation's certificate."""
    assert doc.paper_scan_file is not None
    try:
        joined = join([(pdf, "Bản được duyệt"), (read_verified(doc.paper_scan_file), "Bản chụp bản gốc ký trên giấy")])
    except MergeError as exc:
        raise Conflict(f"Không ghép được bản chụp với văn bản: {exc}. Hãy tải lại bản chụp.") from None
    signed = sign_digitised(doc.organisation, joined, reference=doc.reference)
    record("document.seal_paper", doc, actor=actor, changes={"scan_file_id": doc.paper_scan_file_id})
    return signed


def _printed_year(pdf: bytes) -> int | None:
    try:
        return placeholders.printed_year(pdf)
    except placeholders.PlaceholderError:
        return None
