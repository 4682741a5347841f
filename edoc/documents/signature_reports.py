"""The signature reports kept with an outgoing document: of each signed PDF that enters it (a version or an
attachment someone uploaded) and of the issued file, what recipients can check it against. Validation itself is
``edoc.signatures.service``'s, which takes bytes and files and knows nothing of documents."""

from __future__ import annotations

import json

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import commit, db
from edoc.core.errors import ValidationFailed
from edoc.documents.models import OutgoingDocument
from edoc.files import sniff
from edoc.files.models import StoredFile
from edoc.files.service import open_verified, read_verified
from edoc.signatures.models import ValidationRecord
from edoc.signatures.service import keep_report, refuse_active_content, validate_bytes, validate_with_roots
from edoc.signatures.trust import trust_roots
from signing.errors import CorruptPdf, EncryptedPdf, ExistingSignatureBroken
from signing.sign import open_pdf


def validate_entering(actor: User, doc: OutgoingDocument, file: StoredFile, *, context: str) -> None:
    """A PDF that enters the system as part of a document (an uploaded version or attachment): it must be one
    that can be signed later (the signer signs the version, the organisation each PDF attachment at issue),
    so an unreadable or encrypted file, or one whose signatures no longer match its bytes (signing on top would make the
    tampered file look endorsed), is refused now rather than at signing or issue. If it is signed, its
    signatures are checked and the report kept with the document."""
    if file.media_type != sniff.PDF:
        return
    # Read in place from the stored file (checked whole against its SHA-256 first), never held whole in memory:
    # a 150 MB attachment read as bytes (and copied on the way) took the server from ~200 MB to ~800 MB.
    with open_verified(file) as stream:
        try:
            signed = bool(open_pdf(stream).embedded_signatures)
        except (CorruptPdf, EncryptedPdf, ExistingSignatureBroken) as exc:
            raise ValidationFailed(f"Không nhận tệp PDF “{file.original_name}”: {exc}.",
                                   field="source" if context == "version" else "file") from None
        stream.seek(0)
        refuse_active_content(stream, file.original_name, field="source" if context == "version" else "file")
    if not signed:
        return  # nothing to report
    keep_report(actor, doc.organisation_id, file, validate_bytes(doc.organisation_id, read_verified(file)),
                context=context, document_id=doc.id)


def record_issued(actor: User, doc: OutgoingDocument) -> None:
    """The issued file's report, kept with the document: what recipients can check it against. A document
    issued without digital signatures (signed on paper) has nothing to report. Called after the issue has
    committed, with nothing pending: it commits the reads it makes before validating; the caller commits the
    report."""
    if doc.issued_file is None or doc.signed_file_id is None:
        return
    issued, organisation_id = doc.issued_file, doc.organisation_id
    pdf, roots = read_verified(issued), trust_roots(organisation_id)
    # Validation may wait on OCSP and CRL responders: end the read transaction first, or on SQLite (whose
    # transactions begin IMMEDIATE) every other writer would wait for them too.
    assert not db.session().new and not db.session().dirty and not db.session().deleted, "called with changes"
    commit()
    report = validate_with_roots(pdf, roots)
    keep_report(actor, organisation_id, issued, report, context="issued", document_id=doc.id)


def reports_of(doc: OutgoingDocument) -> list[tuple[ValidationRecord, dict[str, object]]]:
    rows = db.session.execute(select(ValidationRecord).where(ValidationRecord.document_id == doc.id)
                              .order_by(ValidationRecord.id)).scalars().all()
    return [(row, json.loads(row.report)) for row in rows]
