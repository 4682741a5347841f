"""Validation of signed PDFs: the report of each signature (who, when, intact, trusted, changed since, scope),
checked against the organisation's trusted roots and kept with the file it is about (``ValidationRecord``), and
the refusal of PDFs with active content. Takes bytes and stored files: the documents that hold them are the
documents package's (``edoc.documents.signature_reports``), which calls here, never the reverse."""

from __future__ import annotations

import json
from typing import BinaryIO

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfError

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import commit, db
from edoc.core.errors import ValidationFailed
from edoc.files import sniff
from edoc.files.active import active_content
from edoc.files.models import StoredFile
from edoc.files.service import read_verified, store_upload
from edoc.signatures.models import ValidationRecord
from edoc.signatures.trust import revocation_mode, trust_roots
from signing.errors import SigningError
from signing.validate import ValidationReport, validate_pdf


def validate_bytes(organisation_id: int, pdf: bytes) -> ValidationReport:
    return validate_with_roots(pdf, trust_roots(organisation_id))


def validate_with_roots(pdf: bytes, roots: list[asn1_x509.Certificate]) -> ValidationReport:
    """The report against roots read beforehand (so no transaction need stay open while responders answer)."""
    mode = revocation_mode()
    try:
        return validate_pdf(pdf, trust_roots=roots, allow_fetching=mode != "off", revocation_mode=mode)
    except SigningError as exc:
        raise ValidationFailed(f"Không kiểm tra được tệp: {exc}.") from None


def keep_report(actor: User | None, organisation_id: int, file: StoredFile, report: ValidationReport, *,
                context: str, document_id: int | None = None) -> ValidationRecord:
    row = ValidationRecord(organisation_id=organisation_id, file_id=file.id, document_id=document_id,
                           context=context, checked_by_id=actor.id if actor else None,
                           all_valid=report.all_valid, report=json.dumps(report.to_dict(), ensure_ascii=False))
    db.session.add(row)
    record("signature.validate", row, actor=actor, organisation_id=organisation_id, changes={
        "file_id": file.id, "context": context, "all_valid": report.all_valid,
        "signatures": len(report.signatures)})
    return row


def validate_file(actor: User, file: StoredFile) -> tuple[ValidationReport, ValidationRecord]:
    """A PDF a user uploaded to check: the report, kept with the file (in the caller's transaction)."""
    report = validate_bytes(actor.organisation_id, read_verified(file))
    return report, keep_report(actor, actor.organisation_id, file, report, context="upload")


def validate_upload(actor: User, stream: BinaryIO, filename: str | None
                    ) -> tuple[StoredFile, ValidationReport, ValidationRecord]:
    """A PDF a user sends to be checked (the validation page, the API): stored, its report kept with it,
    committed."""
    row = store_upload(stream, filename, uploader=actor, allowed=frozenset({sniff.PDF}), commit=False)
    report, kept = validate_file(actor, row)
    commit()
    return row, report, kept


def refuse_active_content(stream: BinaryIO, name: str, *, field: str) -> None:
    """Refused, not rewritten (docs/hostile-input.md): a rewrite would break the signatures the file carries and
    change what its sender made; the sender can export it again without the active parts."""
    try:
        found = active_content(stream)
    except (PdfError, KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise ValidationFailed(f"Không nhận tệp PDF “{name}”: không đọc được cấu trúc tệp ({type(exc).__name__}).",
                               field=field) from None
    if found:
        raise ValidationFailed(
            f"Không nhận tệp PDF “{name}”: tệp chứa nội dung tự chạy hoặc ẩn bên trong ({'; '.join(found)}). Hãy "
            "xuất lại PDF không có các thành phần này; tệp đính kèm thì gửi thành tệp riêng.", field=field)
