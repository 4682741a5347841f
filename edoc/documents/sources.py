"""Where a document's PDF comes from: rendered from the structured text (Appendix I layout), converted from
an uploaded DOCX, or an uploaded PDF as is; and what happens to it at issue (number and date filled into
the fields the renderer left), and the dispatch to external recipients by e-mail.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import BinaryIO

from flask import current_app

from edoc.accounts.models import User
from edoc.core.db import db, utcnow
from edoc.core.errors import DomainError, ValidationFailed
from edoc.documents.models import OutgoingDocument, RecipientKind
from edoc.files import sniff
from edoc.files.models import StoredFile
from edoc.files.service import read_verified, store_bytes, store_upload

log = logging.getLogger(__name__)
SOURCE_TYPES = frozenset({sniff.PDF, sniff.DOCX})


def store_source(actor: User, stream: BinaryIO, filename: str) -> tuple[str, StoredFile, StoredFile]:
    """Store an uploaded draft; a DOCX is converted to PDF first, so a file LibreOffice cannot open is refused
    before anything is kept. Returns (source kind, source file, PDF file)."""
    from edoc.rendering.convert import ConversionError, docx_to_pdf

    source = store_upload(stream, filename, uploader=actor, purpose="document-source", allowed=SOURCE_TYPES,
                          commit=False)
    try:
        data = read_verified(source)
        if source.media_type == sniff.DOCX:
            try:
                pdf = docx_to_pdf(data)
            except ConversionError as exc:
                raise ValidationFailed(f"Không mở được tệp DOCX “{source.original_name}”: {exc}",
                                       field="source") from None
            pdf_file = store_bytes(pdf, _pdf_name(source.original_name), uploader=actor, purpose="document",
                                   media_type=sniff.PDF)
            return "docx", source, pdf_file
        problem = pdf_problem(data)
        if problem:
            raise ValidationFailed(f"Tệp PDF “{source.original_name}” không đọc được: {problem}", field="source")
        return "pdf", source, source
    except DomainError:
        db.session.rollback()  # the refused upload's bytes go with the rolled-back rows
        raise


ATTACHMENT_TYPES = frozenset({sniff.PDF, sniff.DOCX, sniff.XLSX, sniff.ODT})


def add_attachment(actor: User, doc: OutgoingDocument, stream: BinaryIO, filename: str, title: str) -> None:
    """Authorise first, so a refused attachment never reaches the store."""
    from edoc.documents import policy, service

    policy.require_edit(actor, doc)
    file = store_upload(stream, filename, uploader=actor, purpose="attachment", allowed=ATTACHMENT_TYPES,
                        commit=False)
    service.add_attachment(actor, doc, file, title)


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
    from edoc.documents.spec import spec_for
    from edoc.rendering import render_pdf

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
    from edoc.rendering.dates import day_str, month_str, number_str
    from edoc.signatures.service import record_issued, seal_attachments, seal_issued
    from signing.forms import field_boxes, fill_text_fields

    version = doc.current_version
    if version is None or version.pdf_file is None or doc.number is None or doc.issued_on is None:
        return
    # The signer signed before the number existed: fill the number into that signed file, then seal it.
    pdf = read_verified(doc.signed_file if doc.signed_file is not None else version.pdf_file)
    boxes = field_boxes(pdf)
    values = {"doc_number": number_str(doc.number), "doc_day": day_str(doc.issued_on),
              "doc_month": month_str(doc.issued_on), "doc_year": str(doc.issued_on.year)}
    present = {k: v for k, v in values.items() if k in boxes}
    if present:
        pdf = fill_text_fields(pdf, present)
    pdf = seal_issued(actor, doc, pdf)
    name = f"{doc.reference.replace('/', '-')}.pdf"
    doc.issued_file_id = store_bytes(pdf, name, uploader=actor, purpose="document", media_type=sniff.PDF).id
    seal_attachments(actor, doc)
    record_issued(actor, doc)


def dispatch_external(doc: OutgoingDocument) -> None:
    """After the issue commits: e-mail the PDF to external recipients when SMTP is configured, else leave
    them listed for dispatch. A failed send is recorded per recipient, never undoes the issue."""
    settings = current_app.config["EDOC"]
    externals = [r for r in doc.recipients if r.kind == RecipientKind.EXTERNAL and r.dispatch_status == "pending"]
    if not externals:
        return
    if not settings.smtp_host:
        for r in externals:
            r.dispatch_note = "Chưa cấu hình máy chủ thư: gửi thủ công hoặc qua trục liên thông."
        db.session.commit()
        return
    pdf = read_verified(doc.issued_file) if doc.issued_file else None
    for r in externals:
        address = r.contact.email if r.contact else ""
        if not address:
            r.dispatch_status, r.dispatch_note = "manual", "Nơi nhận chưa có địa chỉ e-mail."
            continue
        message = EmailMessage()
        message["From"] = settings.smtp_sender
        message["To"] = address
        message["Subject"] = f"Văn bản số {doc.reference}: {doc.summary[:150]}"
        message.set_content(
            f"{doc.organisation.name} gửi văn bản số {doc.reference} ngày {doc.issued_on:%d/%m/%Y}.\n"
            f"Trích yếu: {doc.summary}\n")
        if pdf is not None:
            message.add_attachment(pdf, maintype="application", subtype="pdf",
                                   filename=f"{doc.reference.replace('/', '-')}.pdf")
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            r.dispatch_status, r.dispatch_note = "failed", f"Gửi e-mail lỗi: {exc}"
            log.warning("dispatch of document %s to %s failed: %s", doc.id, address, exc)
        else:
            r.dispatch_status, r.dispatched_at, r.dispatch_note = "sent", utcnow(), f"Đã gửi tới {address}"
    db.session.commit()
