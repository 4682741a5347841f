"""Validating an arriving signed PDF as a job (``incoming.validate``; issue 8, item 4: "validation of incoming
files"): the clerk's registration stores the file and asks for the job in its own transaction; the job validates
with no transaction open (OCSP and CRL responders may take seconds) and keeps the report with the document. Until
then the document shows "Đang kiểm tra chữ ký" (``signature_verdict == "pending"``).

Idempotent by the document's own record: the job does nothing for a document whose verdict is no longer pending, and
writes the report, the verdict and its audit line in one transaction, under the row's lock, after checking again;
so a second run (a duplicate message, a worker that died after the commit) keeps nothing twice."""

from __future__ import annotations

from sqlalchemy import select

from edoc import jobs
from edoc.audit.service import record
from edoc.core.db import commit, db
from edoc.core.errors import ValidationFailed
from edoc.files.service import read_verified
from edoc.incoming import intake
from edoc.incoming.models import IncomingDocument
from edoc.notifications.service import notify
from edoc.signatures.service import keep_report, validate_bytes

JOB = "incoming.validate"
PENDING = "pending"


def tell_flagged(doc: IncomingDocument) -> None:
    """The clerk who registered a document whose signature is broken or untrusted is told (to return it)."""
    if doc.signature_verdict == "invalid" and doc.registered_by_id:
        notify(doc.registered_by_id, "incoming",
               f"Chữ ký số của văn bản đến {doc.original_reference or doc.summary[:60]} không hợp lệ hoặc không "
               f"tin cậy: kiểm tra, trả lại nơi gửi nếu cần", f"/incoming/{doc.id}")


def request_validation(doc: IncomingDocument, *, broken: bool) -> None:
    """Ask, in the caller's transaction, for the validation of ``doc``'s stored file (it runs once that commits).
    ``broken``: a signature already found not to match its bytes when the file was read: invalid whatever the
    report says."""
    doc.signature_verdict = PENDING
    db.session.flush()
    jobs.enqueue_after_commit(JOB, {"document_id": doc.id, "broken": broken})


def _locked(document_id: int) -> IncomingDocument | None:
    return db.session.execute(select(IncomingDocument).where(IncomingDocument.id == document_id)
                              .with_for_update()).scalar_one_or_none()


def run_validation(document_id: int, *, broken: bool = False) -> str:
    """The job's body: read the file, validate with no transaction open, then keep the report once."""
    doc = db.session.get(IncomingDocument, document_id)
    if doc is None or doc.signature_verdict != PENDING or doc.file is None:
        return "không cần kiểm tra"
    pdf, organisation_id = read_verified(doc.file), doc.organisation_id
    commit()  # nothing held while responders answer (SQLite's write lock)
    try:
        report = validate_bytes(organisation_id, pdf)
        verdict = "invalid" if broken else report.verdict
    except ValidationFailed:  # signature structures pyHanko cannot even read: flagged, as a broken one
        report, verdict = None, "invalid"
    doc = _locked(document_id)
    if doc is None or doc.signature_verdict != PENDING or doc.file is None:
        return "đã kiểm tra"
    if report is not None:
        kept = keep_report(None, organisation_id, doc.file, report, context="incoming")
        db.session.flush()
        doc.validation_id = kept.id
        if not doc.signer_name:  # left blank by the clerk: the first person's signature (as the upload's pre-fill)
            doc.signer_name = intake.suggest_fields("", [s.signer for s in report.signatures]).signer
    doc.signature_verdict = verdict
    record("incoming.validate", doc, changes={"verdict": verdict})
    tell_flagged(doc)
    commit()
    return f"chữ ký: {verdict}"


def _handle(context: jobs.JobContext) -> jobs.Outcome:
    payload = context.payload
    return jobs.Outcome(run_validation(int(payload["document_id"]), broken=bool(payload.get("broken"))))


jobs.register(JOB, _handle, max_attempts=3)
