"""Signing in the app: every change of state here goes through one function (validate, authorise, write,
audit, notify)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC

from asn1crypto import x509 as asn1_x509
from flask import current_app
from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.audit.service import record
from edoc.core.db import db, utcnow
from edoc.core.errors import DomainError, NotAllowed, ValidationFailed
from edoc.documents import policy
from edoc.documents.models import OutgoingDocument, Status
from edoc.files import sniff
from edoc.files.service import read_verified, store_bytes
from edoc.organisations.models import Organisation
from edoc.signatures.models import SigningCredential, TrustedRoot, ValidationRecord
from signing.errors import BadPassword, SigningError
from signing.keys import SignerKey, export_pkcs12, load_pkcs12
from signing.sign import seal_pdf, sign_attachment, sign_pdf
from signing.validate import ValidationReport, validate_pdf

MIN_PIN = 6


class SigningRefused(ValidationFailed):
    code = "signing_refused"


# --- credentials ---------------------------------------------------------------------------------------

def _seal_password(credential_owner: str) -> str:
    """The organisation credential's PKCS#12 password: derived from the server's secret, never stored."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"edoc-seal:{credential_owner}".encode(), hashlib.sha256).hexdigest()


def _describe(key: SignerKey) -> dict[str, object]:
    cert = key.certificate
    return {"subject": key.subject[:255], "issuer": str(cert.issuer.native.get("common_name", ""))[:255],
            "serial": str(cert.serial_number)[:64],
            "not_after": cert["tbs_certificate"]["validity"]["not_after"].native.astimezone(UTC)}


def save_credential(actor: User | None, organisation: Organisation, key: SignerKey, *, user: User | None,
                    pin: str | None, source: str) -> SigningCredential:
    """Keep a key: a person's encrypted with their PIN, the organisation's with the server-derived password."""
    if user is not None:
        if not pin or len(pin) < MIN_PIN:
            raise ValidationFailed(f"Mã PIN ký số phải có ít nhất {MIN_PIN} ký tự.", field="pin")
        password = pin
    else:
        password = _seal_password(f"org-{organisation.id}")
    owner = user or actor
    assert owner is not None
    blob = store_bytes(export_pkcs12(key, password), "credential.p12", uploader=owner, purpose="credential",
                       media_type="application/x-pkcs12")
    for old in db.session.execute(select(SigningCredential).where(
            SigningCredential.organisation_id == organisation.id,
            SigningCredential.user_id == (user.id if user else None), SigningCredential.active.is_(True))).scalars():
        old.active = False
    credential = SigningCredential(organisation_id=organisation.id, user_id=user.id if user else None,
                                   source=source, p12_file_id=blob.id, **_describe(key))
    db.session.add(credential)
    record("credential.add", credential, actor=actor, organisation_id=organisation.id,
           changes={"subject": credential.subject, "serial": credential.serial, "source": source,
                    "owner": user.username if user else "organisation"})
    return credential


def import_pkcs12(actor: User, data: bytes, p12_password: str, pin: str) -> SigningCredential:
    """A user brings their own certificate (PKCS#12 from their CA); it is kept encrypted with their PIN."""
    try:
        key = load_pkcs12(data, p12_password)
    except BadPassword as exc:
        raise SigningRefused(f"Không mở được tệp chứng thư số: {exc}.", field="p12_password") from None
    key.check_validity()
    return save_credential(actor, actor.organisation, key, user=actor, pin=pin, source="pkcs12")


def active_credential(organisation_id: int, user_id: int | None) -> SigningCredential | None:
    return db.session.execute(select(SigningCredential).where(
        SigningCredential.organisation_id == organisation_id, SigningCredential.user_id == user_id,
        SigningCredential.active.is_(True))).scalars().first()


def _load_key(credential: SigningCredential, password: str) -> SignerKey:
    from edoc.files.models import StoredFile

    blob = db.session.get(StoredFile, credential.p12_file_id)
    assert blob is not None
    try:
        return load_pkcs12(read_verified(blob), password)
    except BadPassword:
        raise SigningRefused("Mã PIN ký số không đúng.", field="pin") from None


def user_key(user: User, pin: str) -> SignerKey:
    credential = active_credential(user.organisation_id, user.id)
    if credential is None:
        raise SigningRefused("Bạn chưa có chứng thư số. Hãy nhập chứng thư số (PKCS#12) ở trang tài khoản.")
    return _load_key(credential, pin)


def organisation_key(organisation: Organisation) -> SignerKey | None:
    credential = active_credential(organisation.id, None)
    return _load_key(credential, _seal_password(f"org-{organisation.id}")) if credential else None


# --- trust ---------------------------------------------------------------------------------------------

def add_trusted_root(actor: User | None, organisation: Organisation, der: bytes, name: str = "") -> TrustedRoot:
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise NotAllowed("Chỉ quản trị viên quản lý danh sách chứng thư gốc tin cậy.")
    try:
        cert = asn1_x509.Certificate.load(der)
        subject = cert.subject.human_friendly
    except (ValueError, TypeError):
        raise ValidationFailed("Tệp không phải chứng thư số X.509 (DER hoặc PEM).", field="file") from None
    fingerprint = hashlib.sha256(der).hexdigest()
    existing = db.session.execute(select(TrustedRoot).where(
        TrustedRoot.organisation_id == organisation.id, TrustedRoot.fingerprint == fingerprint)).scalar_one_or_none()
    if existing is not None:
        return existing
    root = TrustedRoot(organisation_id=organisation.id, name=(name or subject)[:255], der=der,
                       fingerprint=fingerprint)
    db.session.add(root)
    record("trust.add", root, actor=actor, organisation_id=organisation.id, changes={"subject": subject})
    return root


def trust_roots(organisation_id: int) -> list[asn1_x509.Certificate]:
    rows = db.session.execute(select(TrustedRoot.der).where(TrustedRoot.organisation_id == organisation_id))
    return [asn1_x509.Certificate.load(der) for der in rows.scalars()]


# --- signing documents ---------------------------------------------------------------------------------

def can_sign(user: User, doc: OutgoingDocument) -> bool:
    return doc.signer_id == user.id and doc.status_enum is Status.APPROVED and doc.signed_file_id is None


def sign_document(actor: User, doc: OutgoingDocument, key: SignerKey) -> None:
    """The signer's digital signature on the approved version, image between title and name."""
    policy.require(can_sign(actor, doc), "Chỉ người ký được ký số văn bản đã duyệt và chưa ký.")
    version = doc.current_version
    if version is None or version.pdf_file is None:
        raise SigningRefused("Văn bản chưa có bản PDF để ký.")
    if actor.signature_file_id is None:
        raise SigningRefused("Bạn chưa có ảnh chữ ký (PNG). Hãy tải ảnh chữ ký ở trang tài khoản.")
    from edoc.files.models import StoredFile

    image = db.session.get(StoredFile, actor.signature_file_id)
    assert image is not None
    try:
        signed = sign_pdf(read_verified(version.pdf_file), key, image_png=read_verified(image),
                          location=doc.organisation.place_name)
    except SigningError as exc:
        raise SigningRefused(f"Không ký được: {exc}.") from None
    doc.signed_file_id = store_bytes(signed, f"da-ky-{doc.id}.pdf", uploader=actor, purpose="document",
                                     media_type=sniff.PDF).id
    doc.signed_at = utcnow()
    record("document.sign", doc, actor=actor, changes={"certificate": key.subject,
                                                       "serial": str(key.certificate.serial_number)})


def sign_batch(actor: User, doc_ids: list[int], pin: str,
               progress: Callable[[int, int, int, str | None], None]) -> tuple[int, list[str]]:
    """Sign several approved documents with one key load; each commits on its own, so one refusal does not
    undo the others. ``progress(done, total, doc_id, error)`` is called after each."""
    key = user_key(actor, pin)
    key.check_validity()
    errors: list[str] = []
    done = 0
    for index, doc_id in enumerate(doc_ids, start=1):
        try:
            doc = policy.viewable(actor, doc_id)
            sign_document(actor, doc, key)
            db.session.commit()
            done += 1
            progress(index, len(doc_ids), doc_id, None)
        except DomainError as exc:  # one refused document (unknown, not yours, not approved) stops no other
            db.session.rollback()
            errors.append(f"#{doc_id}: {exc.message}")
            progress(index, len(doc_ids), doc_id, exc.message)
    return done, errors


def seal_issued(actor: User, doc: OutgoingDocument, pdf: bytes) -> bytes:
    """The organisation's signature at issue, only over a signer's signature and only if the organisation
    has a credential and a seal image; otherwise the PDF goes out as it is."""
    if doc.signed_file_id is None:
        return pdf
    key = organisation_key(doc.organisation)
    if key is None or doc.organisation.seal_file_id is None:
        return pdf
    from edoc.files.models import StoredFile

    seal = db.session.get(StoredFile, doc.organisation.seal_file_id)
    assert seal is not None
    try:
        sealed = seal_pdf(pdf, key, seal_png=read_verified(seal), seal_mm=doc.organisation.seal_mm)
    except SigningError as exc:
        raise SigningRefused(f"Không ký số của cơ quan được: {exc}.") from None
    record("document.seal", doc, actor=actor, changes={"certificate": key.subject})
    return sealed


def seal_attachments(actor: User, doc: OutgoingDocument) -> None:
    """At issue, the organisation signs each attachment that is a separate PDF: at the top right of its first
    page, no image, the document's số/ký hiệu and the signing time (Appendix I, II.8). Only for a document the
    organisation sealed; attachments in other formats go out as they are."""
    if doc.signed_file_id is None or not doc.attachments:
        return
    key = organisation_key(doc.organisation)
    if key is None:
        return
    for attachment in doc.attachments:
        if attachment.file.media_type != sniff.PDF or attachment.issued_file_id is not None:
            continue
        try:
            signed = sign_attachment(read_verified(attachment.file), key, number=doc.reference,
                                     location=doc.organisation.place_name)
        except SigningError as exc:
            raise SigningRefused(f"Không ký số được phụ lục “{attachment.title}”: {exc}.") from None
        name = f"{doc.reference.replace('/', '-')}-phu-luc-{attachment.position + 1}.pdf"
        attachment.issued_file_id = store_bytes(signed, name, uploader=actor, purpose="attachment",
                                                media_type=sniff.PDF).id
        record("document.seal_attachment", doc, actor=actor,
               changes={"attachment": attachment.id, "certificate": key.subject})


# --- validation ----------------------------------------------------------------------------------------

def validate_file(actor: User, file_id: int, pdf: bytes) -> tuple[ValidationReport, ValidationRecord]:
    try:
        report = validate_pdf(pdf, trust_roots=trust_roots(actor.organisation_id))
    except SigningError as exc:
        raise ValidationFailed(f"Không kiểm tra được tệp: {exc}.") from None
    row = ValidationRecord(organisation_id=actor.organisation_id, file_id=file_id, checked_by_id=actor.id,
                           all_valid=report.all_valid, report=json.dumps(report.to_dict(), ensure_ascii=False))
    db.session.add(row)
    record("signature.validate", row, actor=actor, changes={"file_id": file_id, "all_valid": report.all_valid,
                                                           "signatures": len(report.signatures)})
    return report, row
