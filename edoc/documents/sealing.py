"""The organisation's signature at issue (Decree 30, Art. 13 and Appendix I, II.7-8): over the signer's on the
issued file, and on each attachment that is a separate PDF. Called in the issuing transaction
(``sources.finalise_issued``), so a refusal rolls the number back with the rest of the issue."""

from __future__ import annotations

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import db
from edoc.documents.models import OutgoingDocument
from edoc.files import sniff
from edoc.files.models import StoredFile
from edoc.files.service import read_verified, store_bytes
from edoc.signatures.credentials import SigningRefused, organisation_key
from edoc.signatures.options import refusal, signature_options
from signing.errors import SigningError
from signing.sign import add_document_timestamp, seal_pdf, sign_attachment


def seal_issued(actor: User, doc: OutgoingDocument, pdf: bytes) -> bytes:
    """The organisation's signature at issue, over the signer's (Decree 30, Art. 13 and Appendix I, II.7).

    A document the signer signed digitally must carry it: without the organisation's credential or seal image
    the issue is refused (and its number rolled back with it). A document approved but not signed digitally
    (signed on paper) goes out as it is. With a timestamp authority, a document timestamp closes the file
    (PAdES B-LTA)."""
    if doc.signed_file_id is None:
        return pdf
    organisation = doc.organisation
    key = organisation_key(organisation)
    if key is None or organisation.seal_file_id is None:
        missing = "chứng thư số của cơ quan" if key is None else "ảnh con dấu"
        raise SigningRefused(f"Văn bản đã được ký số nhưng cơ quan chưa có {missing} để ký số của cơ quan: quản "
                             "trị viên cần cài đặt ở trang “Chữ ký số của cơ quan” trước khi ban hành.")
    seal = db.session.get(StoredFile, organisation.seal_file_id)
    assert seal is not None
    options = signature_options(organisation.id)
    try:
        sealed = seal_pdf(pdf, key, seal_png=read_verified(seal), seal_mm=organisation.seal_mm,
                          location=organisation.place_name, **options)
        if options["timestamper"] is not None:
            sealed = add_document_timestamp(sealed, options["timestamper"],  # type: ignore[arg-type]
                                            validation_context=options["validation_context"])  # type: ignore[arg-type]
    except SigningError as exc:
        raise refusal(exc, "Không ký số của cơ quan được") from None
    record("document.seal", doc, actor=actor, changes={"certificate": key.subject})
    return sealed


def seal_attachments(actor: User, doc: OutgoingDocument) -> None:
    """At issue, the organisation signs each attachment that is a separate PDF: at the top right of its first
    page, no image, the document's số/ký hiệu and the signing time (Appendix I, II.8). Only for a document it
    sealed; attachments in other formats go out as they are."""
    if doc.signed_file_id is None or not doc.attachments:
        return
    key = organisation_key(doc.organisation)
    if key is None:
        return
    options = signature_options(doc.organisation_id)
    for attachment in doc.attachments:
        if attachment.file.media_type != sniff.PDF or attachment.issued_file_id is not None:
            continue
        try:
            signed = sign_attachment(read_verified(attachment.file), key, number=doc.reference,
                                     location=doc.organisation.place_name, **options)
        except SigningError as exc:
            raise refusal(exc, f"Không ký số được phụ lục “{attachment.title}”") from None
        name = f"{doc.reference.replace('/', '-')}-phu-luc-{attachment.position + 1}.pdf"
        attachment.issued_file_id = store_bytes(signed, name, uploader=actor, purpose="attachment",
                                                media_type=sniff.PDF).id
        record("document.seal_attachment", doc, actor=actor,
               changes={"attachment": attachment.id, "certificate": key.subject})
