"""Signing documents in the app: the signer's signature on the approved version (one or a batch), the
organisation's signature at issue over it and on each attachment, and validation reports kept with the files.

Every change of state goes through one function here (validate, authorise, write, audit, notify); keys come
from ``edoc.signatures.credentials``, roots, revocation and the timestamp authority from ``edoc.signatures.trust``.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from asn1crypto import x509 as asn1_x509
from PIL import Image
from pyhanko.pdf_utils.misc import PdfError
from sqlalchemy import func, select

from edoc import jobs
from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import commit, db, locked, utcnow
from edoc.core.errors import DomainError, NotFound, ValidationFailed
from edoc.documents import policy
from edoc.documents.models import OutgoingDocument, Status
from edoc.files import sniff
from edoc.files.active import active_content
from edoc.files.images import check_ink
from edoc.files.models import StoredFile
from edoc.files.service import open_verified, read_verified, store_bytes, store_upload
from edoc.realtime.events import emit_after_commit, user_room
from edoc.signatures.credentials import (
    SigningRefused,
    organisation_key,
    personal_key,
)
from edoc.signatures.events import SIGNING_DONE, SIGNING_PROGRESS
from edoc.signatures.labels import in_vietnamese
from edoc.signatures.models import ValidationRecord
from edoc.signatures.trust import revocation_mode, timestamper, trust_roots, validation_context
from signing.errors import (
    CertificateNotUsable,
    CorruptPdf,
    EncryptedPdf,
    ExistingSignatureBroken,
    MissingField,
    PlacementNotFound,
    SigningError,
)
from signing.keys import SigningCredential as SigningKey
from signing.placement import MM, Placement, box_above_name
from signing.placement import page_sizes as signing_page_sizes
from signing.sign import add_document_timestamp, open_pdf, seal_pdf, sign_attachment, sign_pdf
from signing.validate import ValidationReport, validate_pdf

log = logging.getLogger(__name__)

SIGNATURE_BOX_MM = (56.0, 28.0)
"""The signer's spot when the user picks it on the page: the size the renderer leaves between title and name."""


class PlacementNeeded(SigningRefused):
    code = "placement_needed"


def _refusal(exc: SigningError, what: str) -> SigningRefused:
    text = in_vietnamese(str(exc)).rstrip(".")  # the library names its fields (“sig_signer”): not for people
    hint = ""
    if isinstance(exc, CertificateNotUsable) and exc.reason == "untrusted":
        hint = " Quản trị viên cần thêm chứng thư gốc của tổ chức cấp chứng thư tại trang “Chữ ký số của cơ quan”."
    return SigningRefused(f"{what}: {text}.{hint}")


def _signature_options(organisation_id: int) -> dict[str, object]:
    """Trust and revocation checked before signing; with a timestamp authority, PAdES B-T, and B-LT (the
    revocation data embedded) unless revocation checking is off."""
    stamper = timestamper()
    return {"validation_context": validation_context(organisation_id), "timestamper": stamper,
            "embed_validation_info": stamper is not None and revocation_mode() != "off"}


# --- where the signer's signature goes -----------------------------------------------------------------

def can_sign(user: User, doc: OutgoingDocument) -> bool:
    return (doc.signer_id == user.id and doc.status_enum is Status.APPROVED and doc.signed_file_id is None
            and doc.paper_scan_file_id is None)  # the clerk recorded it as signed on paper: that is its signature


def _source_pdf(doc: OutgoingDocument) -> bytes:
    version = doc.current_version
    if version is None or version.pdf_file is None:
        raise SigningRefused("Văn bản chưa có bản PDF để ký.")
    return read_verified(version.pdf_file)


def chosen_placement(page: int, x: float, y: float) -> Placement:
    """The spot a user clicked (its centre, PDF points from the page's lower left)."""
    width, height = SIGNATURE_BOX_MM[0] * MM, SIGNATURE_BOX_MM[1] * MM
    if page < 0 or x < 0 or y < 0:
        raise ValidationFailed("Vị trí ký không hợp lệ.", field="page")
    return Placement(page, (x - width / 2, y - height / 2, x + width / 2, y + height / 2))


def _place_by_name(pdf: bytes, signer_name: str) -> Placement:
    try:
        return box_above_name(pdf, signer_name)
    except PlacementNotFound as exc:  # the name is not there, or there is no room above it
        raise PlacementNeeded(f"Tệp không có ô chữ ký và {exc}.") from None
    except SigningError as exc:
        raise _refusal(exc, "Không xác định được vị trí ký") from None


def page_image(actor: User, doc: OutgoingDocument, page: int, *, dpi: int = 90) -> bytes:
    """One page of the document to sign as PNG, for choosing the signature's place in the browser."""
    policy.require(can_sign(actor, doc), "Chỉ người ký được xem trang để chọn vị trí ký.")
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise SigningRefused("Máy chủ thiếu công cụ pdftoppm (gói poppler-utils) để hiển thị trang.")
    with tempfile.TemporaryDirectory(prefix="edoc-page-") as tmp:
        source = Path(tmp) / "doc.pdf"
        source.write_bytes(_source_pdf(doc))
        result = subprocess.run([tool, "-png", "-r", str(dpi), "-f", str(page + 1), "-l", str(page + 1),
                                 "-singlefile", str(source), str(Path(tmp) / "page")],
                                capture_output=True, timeout=60, check=False)
        image = Path(tmp) / "page.png"
        if result.returncode != 0 or not image.exists():
            raise ValidationFailed("Trang không tồn tại trong văn bản.", field="page")
        return image.read_bytes()


def page_sizes(doc: OutgoingDocument) -> list[tuple[float, float]]:
    """Width and height of each page in points (for mapping a click on the page image to PDF coordinates)."""
    try:
        return signing_page_sizes(_source_pdf(doc))
    except SigningError as exc:
        raise _refusal(exc, "Không đọc được các trang của văn bản") from None


# --- the signer's signature ----------------------------------------------------------------------------

@dataclass
class _SignerSetup:
    """What every signature of one signer needs, read once for a whole batch: their image, the trust and
    revocation context (which caches the certificate path it validated) and the timestamp settings."""

    image_png: bytes
    location: str
    options: dict[str, object]

    @classmethod
    def of(cls, actor: User) -> _SignerSetup:
        if actor.signature_file_id is None:
            raise SigningRefused("Bạn chưa có ảnh chữ ký (PNG). Hãy tải ảnh chữ ký ở trang tài khoản.")
        image = db.session.get(StoredFile, actor.signature_file_id)
        assert image is not None
        png = read_verified(image)
        _require_blue(png)
        return cls(png, actor.organisation.place_name, _signature_options(actor.organisation_id))


def _require_blue(png: bytes) -> None:
    """The signer's image is blue (Decree 30, Appendix I). Uploads are checked for it; an image kept before
    that check, in another ink, is refused here rather than drawn into a document."""
    try:
        with Image.open(io.BytesIO(png)) as image:
            check_ink(image, "blue", what="Ảnh chữ ký", field="image")
    except (OSError, ValueError, Image.DecompressionBombError):
        return  # an unreadable image is refused by the appearance, with its own message
    except ValidationFailed:  # not mostly blue, or nothing drawn at all: the same refusal, saying what to do
        raise SigningRefused("Ảnh chữ ký của bạn không phải màu xanh (Phụ lục I, Nghị định 30/2020/NĐ-CP): hãy "
                             "tải ảnh chữ ký mực xanh, nền trong suốt, rồi ký lại.") from None


def _signed_bytes(setup: _SignerSetup, pdf: bytes, key: SigningKey, placement: Placement | None,
                  signer_name: str) -> bytes:
    """The signature itself: CPU work (and the timestamp authority, revocation responders), no database."""
    options = {"image_png": setup.image_png, "location": setup.location, **setup.options}
    try:
        try:
            # the renderer's field between title and name, if the PDF has it (the usual case: no second parse)
            return sign_pdf(pdf, key, placement=placement, **options)  # type: ignore[arg-type]
        except MissingField:
            return sign_pdf(pdf, key, placement=_place_by_name(pdf, signer_name), **options)  # type: ignore[arg-type]
    except SigningError as exc:
        raise _refusal(exc, "Không ký được") from None


def _keep_signature(setup: _SignerSetup, actor: User, doc: OutgoingDocument, key: SigningKey, signed: bytes) -> None:
    doc.signed_file_id = store_bytes(signed, f"da-ky-{doc.id}.pdf", uploader=actor, purpose="document",
                                     media_type=sniff.PDF).id
    doc.signed_at = utcnow()
    record("document.sign", doc, actor=actor, changes={"certificate": key.certificate.subject.human_friendly[:200],
                                                       "serial": str(key.certificate.serial_number),
                                                       "timestamped": setup.options["timestamper"] is not None})


def _sign_with(setup: _SignerSetup, actor: User, doc: OutgoingDocument, key: SigningKey,
               placement: Placement | None) -> None:
    policy.require(can_sign(actor, doc), "Chỉ người ký được ký số văn bản đã duyệt và chưa ký.")
    signed = _signed_bytes(setup, _source_pdf(doc), key, placement, actor.full_name)
    _keep_signature(setup, actor, doc, key, signed)


def sign_document(actor: User, doc: OutgoingDocument, key: SigningKey, *,
                  placement: Placement | None = None) -> None:
    """The signer's digital signature on the approved version: their image between title and name (the
    renderer's field), above their name in an uploaded PDF, or where they chose."""
    _sign_with(_SignerSetup.of(actor), actor, doc, key, placement)


def sign_with_pin(actor: User, doc: OutgoingDocument, pin: str, *, placement: Placement | None = None) -> None:
    """The signer's signature, their PIN unlocking the key, in the caller's transaction (the minutes' chair
    signs inside the meeting's change); a wrong PIN is counted and committed by ``personal_key``."""
    with personal_key(actor, pin) as key:
        sign_document(actor, doc, key, placement=placement)


def sign_one(actor: User, doc: OutgoingDocument, pin: str, *, placement: Placement | None = None) -> None:
    """The signer signs one document from its page or the API: ``sign_with_pin``, committed."""
    sign_with_pin(actor, doc, pin, placement=placement)
    commit()


BATCH_FAILURE = "Lỗi hệ thống khi ký văn bản này (đã ghi nhật ký); văn bản chưa được ký, hãy thử lại sau."
"""What the signer reads for a document whose signing failed unexpectedly; the details go to the log only."""


SIGN_JOB = "signatures.sign"
BATCH_PART = 10
"""Documents per job of a batch: the parts run on as many workers as there are (signing is CPU work, so a batch
uses every core given to workers), each unlocking the key once."""


def start_batch(actor: User, doc_ids: list[int], pin: str) -> str:
    """Sign several approved documents, as jobs: the PIN, the credential and the signature image are checked
    now (a wrong PIN is refused on the page, and counted), then the batch is written as jobs of ``BATCH_PART``
    documents, the PIN sealed with each (``edoc.jobs``), and committed. Returns the batch's id;
    progress goes to the signer's channel (``signing.progress``, then ``signing.done``) and ``batch_state``
    answers a page that reconnects."""
    if not doc_ids:
        raise ValidationFailed("Chọn ít nhất một văn bản để ký.", field="ids")
    ids = list(dict.fromkeys(doc_ids))
    with personal_key(actor, pin):
        _SignerSetup.of(actor)  # an image that is not blue is refused at the door, as for one document
    batch = uuid.uuid4().hex
    for first in range(0, len(ids), BATCH_PART):
        jobs.enqueue_after_commit(SIGN_JOB, {"user_id": actor.id, "document_ids": ids[first:first + BATCH_PART],
                                             "total": len(ids)}, requested_by=actor.id, batch=batch, secret=pin)
    commit()
    return batch


@jobs.handler(SIGN_JOB)
def _sign_part(context: jobs.JobContext) -> jobs.Outcome:
    """One part of a batch. Each document's signature commits with the line recording it in the job's result,
    so an attempt after a crash skips exactly the documents signed before it (and a document signed meanwhile by
    other means is refused by its state): no document is signed twice."""
    ids = [int(i) for i in context.payload["document_ids"]]
    total = int(context.payload["total"])
    results: dict[str, str | None] = dict(context.result.get("results", {}))
    remaining = [i for i in ids if str(i) not in results]
    actor = db.session.get(User, int(context.payload["user_id"]))
    refusal: str | None = None
    if actor is None or not actor.active:
        refusal = "Tài khoản người ký không còn hoạt động."
    elif context.secret is None:
        refusal = "Không mở được mã PIN của lượt ký này (khóa bí mật của máy chủ đã đổi?); hãy ký lại."
    else:
        try:
            with personal_key(actor, context.secret) as key:
                setup = _SignerSetup.of(actor)
                commit()
                for doc_id in remaining:
                    error = _sign_queued(setup, actor, doc_id, key)
                    results[str(doc_id)] = error
                    jobs.record_progress(context, len(results), len(ids), {"results": results})
                    commit()  # the signature and the line saying so, together
                    _report(context, actor.id, doc_id, error, total)
                remaining = []
        except DomainError as exc:  # the credential locked, replaced or its PIN changed since the batch began
            db.session.rollback()
            refusal = exc.message
    for doc_id in remaining:
        results[str(doc_id)] = refusal
        jobs.record_progress(context, len(results), len(ids), {"results": results})
        commit()
        _report(context, context.requested_by_id, doc_id, refusal, total)
    signed = sum(1 for error in results.values() if error is None)
    return jobs.Outcome(f"Đã ký {signed}/{len(ids)} văn bản.", result={"results": results})


def _sign_queued(setup: _SignerSetup, actor: User, doc_id: int, key: SigningKey) -> str | None:
    """Sign one document of a batch: read, then sign with no transaction open (pyHanko's work, and a timestamp
    authority or revocation responder that may be slow), then lock the row, check it is still to be signed and
    keep the signature, uncommitted (the caller commits it with its record). None, or why not."""
    try:
        doc = db.session.get(OutgoingDocument, doc_id)
        if doc is None:
            return "Văn bản không còn (đã bị xóa)."
        if not policy.can_view(actor, doc):
            return "Không tìm thấy văn bản, hoặc bạn không có quyền xem văn bản này."
        if doc.signed_file_id is not None:
            return "Văn bản đã được ký."
        if not can_sign(actor, doc):
            return "Văn bản không còn chờ bạn ký (đã bị trả lại, thu hồi hoặc thay đổi)."
        pdf, version_id, name = _source_pdf(doc), _version_id(doc), actor.full_name
        commit()  # nothing held while signing: on SQLite every transaction holds the write lock
        signed = _signed_bytes(setup, pdf, key, None, name)
        doc = locked(doc)
        if not can_sign(actor, doc) or _version_id(doc) != version_id:
            db.session.rollback()
            return "Văn bản đã thay đổi trong khi ký (đã được ký, trả lại hoặc có phiên bản mới); chưa ký."
        _keep_signature(setup, actor, doc, key, signed)
        return None
    except DomainError as exc:  # one refused document (no spot for the signature, ...) stops no other
        db.session.rollback()
        return exc.message
    except Exception:
        # Storage, pyHanko or the database failing on one document must not stop the batch: this document is
        # rolled back (its stored bytes with it), the others go on, and the signer is told which.
        db.session.rollback()
        log.exception("batch signing: document %s failed unexpectedly", doc_id)
        return BATCH_FAILURE


def _version_id(doc: OutgoingDocument) -> int | None:
    version = doc.current_version
    return version.id if version is not None else None


def _report(context: jobs.JobContext, user_id: int | None, doc_id: int, error: str | None, total: int) -> None:
    """After a document's outcome commits: the batch's progress to the signer's pages (all parts counted), and
    the end once every document of the batch has its outcome (the last part to commit sees it)."""
    if user_id is None or context.batch is None:
        return
    done = int(db.session.execute(select(func.coalesce(func.sum(jobs.Job.progress_done), 0))
                                  .where(jobs.Job.batch == context.batch)).scalar_one())
    room = user_room(user_id)
    emit_after_commit(db.session, SIGNING_PROGRESS, {"batch": context.batch, "done": done, "total": total,
                                                       "document_id": doc_id, "error": error}, room=room)
    if done >= total:
        emit_after_commit(db.session, SIGNING_DONE, {"batch": context.batch}, room=room)
    commit()


@dataclass
class BatchState:
    batch: str
    total: int
    done: int
    signed: int
    finished: bool
    results: list[dict[str, object]]
    """In the order the documents were chosen: document id and error (None when signed)."""

    def to_json(self) -> dict[str, object]:
        errors = [f"#{r['document_id']}: {r['error']}" for r in self.results if r["error"] is not None]
        return {"batch": self.batch, "total": self.total, "done": self.done, "signed": self.signed,
                "finished": self.finished, "results": self.results, "errors": errors}


def batch_state(actor: User, batch: str) -> BatchState:
    """Where a batch stands, for its signer only (another's batch is not found)."""
    parts = [j for j in jobs.jobs_of_batch(batch) if j.name == SIGN_JOB and j.requested_by_id == actor.id]
    if not parts:
        raise NotFound("Không tìm thấy lượt ký này.")
    results: list[dict[str, object]] = []
    finished = True
    for part in parts:
        recorded = json.loads(part.result or "{}").get("results", {})
        for doc_id in json.loads(part.payload)["document_ids"]:
            if str(doc_id) in recorded:
                results.append({"document_id": int(doc_id), "error": recorded[str(doc_id)]})
            elif part.status == jobs.FAILED:
                results.append({"document_id": int(doc_id), "error": BATCH_FAILURE})
        finished = finished and part.status in {jobs.DONE, jobs.FAILED}
    total = int(json.loads(parts[0].payload)["total"])
    signed = sum(1 for r in results if r["error"] is None)
    return BatchState(batch, total, len(results), signed, finished, results)


# --- the organisation's signature at issue ---------------------------------------------------------------

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
    options = _signature_options(organisation.id)
    try:
        sealed = seal_pdf(pdf, key, seal_png=read_verified(seal), seal_mm=organisation.seal_mm,
                          location=organisation.place_name, **options)
        if options["timestamper"] is not None:
            sealed = add_document_timestamp(sealed, options["timestamper"],  # type: ignore[arg-type]
                                            validation_context=options["validation_context"])  # type: ignore[arg-type]
    except SigningError as exc:
        raise _refusal(exc, "Không ký số của cơ quan được") from None
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
    options = _signature_options(doc.organisation_id)
    for attachment in doc.attachments:
        if attachment.file.media_type != sniff.PDF or attachment.issued_file_id is not None:
            continue
        try:
            signed = sign_attachment(read_verified(attachment.file), key, number=doc.reference,
                                     location=doc.organisation.place_name, **options)
        except SigningError as exc:
            raise _refusal(exc, f"Không ký số được phụ lục “{attachment.title}”") from None
        name = f"{doc.reference.replace('/', '-')}-phu-luc-{attachment.position + 1}.pdf"
        attachment.issued_file_id = store_bytes(signed, name, uploader=actor, purpose="attachment",
                                                media_type=sniff.PDF).id
        record("document.seal_attachment", doc, actor=actor,
               changes={"attachment": attachment.id, "certificate": key.subject})


# --- validation ----------------------------------------------------------------------------------------

def validate_bytes(organisation_id: int, pdf: bytes) -> ValidationReport:
    return _validate(pdf, trust_roots(organisation_id))


def _validate(pdf: bytes, roots: list[asn1_x509.Certificate]) -> ValidationReport:
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
    report = _validate(pdf, roots)
    keep_report(actor, organisation_id, issued, report, context="issued", document_id=doc.id)


def reports_of(doc: OutgoingDocument) -> list[tuple[ValidationRecord, dict[str, object]]]:
    rows = db.session.execute(select(ValidationRecord).where(ValidationRecord.document_id == doc.id)
                              .order_by(ValidationRecord.id)).scalars().all()
    return [(row, json.loads(row.report)) for row in rows]
