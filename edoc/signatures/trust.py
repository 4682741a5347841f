"""What the organisation trusts: its root certificates (e.g. the national root CA), how strictly revocation is
checked (``EDOC_SIGNING_REVOCATION``), and the timestamp authority its signatures use (``EDOC_TSA_URL``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from flask import current_app
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.accounts.policy import require_admin_of
from edoc.audit.service import record
from edoc.core.db import commit, db, get_in
from edoc.core.errors import ValidationFailed
from edoc.organisations.models import Organisation
from edoc.signatures.models import TrustedRoot
from signing.errors import CertificateNotUsable, SigningError
from signing.keys import SigningCredential as SigningKey
from signing.sign import check_certificate as check_signing_certificate
from signing.timestamps import TimeStamper, http_timestamper
from signing.trust import validation_context as signing_context

ROOT_MAX_BYTES = 256 * 1024


TRUST_ADMINS_ONLY = "Chỉ quản trị viên quản lý chứng thư số của cơ quan và chứng thư gốc tin cậy."
"""The refusal of accounts' admin rule (``require_admin_of``) for the organisation's signature and roots."""


ROOTS_PER_FILE = 100
"""More certificates than this in one file is not a bundle of CAs a person means to trust."""


def _certificate(der: bytes) -> asn1_x509.Certificate:
    try:
        cert = asn1_x509.Certificate.load(der)
        _ = cert.subject.human_friendly, cert["tbs_certificate"]["validity"]["not_after"].native, cert.ca
    except (ValueError, TypeError, KeyError):
        raise ValidationFailed("Tệp không phải chứng thư số X.509 (DER hoặc PEM).", field="file") from None
    return cert


def parse_certificates(data: bytes) -> list[tuple[bytes, asn1_x509.Certificate]]:
    """DER bytes and certificate of each certificate in a DER file or a PEM file (which may hold several:
    national root CA files often bundle the root and the CAs under it); anything else is refused clearly."""
    if len(data) > ROOT_MAX_BYTES:
        raise ValidationFailed("Tệp chứng thư quá lớn.", field="file")
    if not data.lstrip().startswith(b"-----BEGIN") and b"-----BEGIN " not in data:
        return [(data, _certificate(data))]
    try:
        blocks = list(pem.unarmor(data, multiple=True))
    except ValueError:
        raise ValidationFailed("Tệp PEM không hợp lệ.", field="file") from None
    if not blocks:
        raise ValidationFailed("Tệp PEM không có chứng thư nào.", field="file")
    if len(blocks) > ROOTS_PER_FILE:
        raise ValidationFailed(f"Tệp có {len(blocks)} khối PEM; tối đa {ROOTS_PER_FILE} chứng thư một lần.",
                               field="file")
    others = sorted({kind for kind, _headers, _der in blocks if kind != "CERTIFICATE"})
    if others:
        # a private key pasted into a bundle must not be taken quietly (nor kept): say what the file holds
        raise ValidationFailed(f"Tệp PEM có khối “{', '.join(others)}”, không phải chứng thư: chỉ tải lên chứng "
                               "thư gốc (CERTIFICATE).", field="file")
    return [(der, _certificate(der)) for _kind, _headers, der in blocks]


def parse_certificate(data: bytes) -> tuple[bytes, asn1_x509.Certificate]:
    """The one certificate of a DER or PEM file."""
    certificates = parse_certificates(data)
    if len(certificates) != 1:
        raise ValidationFailed(f"Tệp có {len(certificates)} chứng thư; cần đúng một.", field="file")
    return certificates[0]


@dataclass(frozen=True)
class RootsAdded:
    added: list[TrustedRoot]
    already: list[TrustedRoot]
    """Already trusted (the same certificate, by SHA-256): kept once."""


def add_trusted_roots(actor: User | None, organisation: Organisation, data: bytes, name: str = "") -> RootsAdded:
    """Every certificate of a DER or PEM file becomes a trusted root, or none does: each must be a CA's
    (basicConstraints cA), since trusting a person's certificate as a root would make anything it signs look
    vouched for. ``name`` labels them (with each one's common name when the file holds several). Written in the
    caller's transaction (the demo's set-up adds its CA so)."""
    if actor is not None:
        require_admin_of(actor, organisation, TRUST_ADMINS_ONLY)
    certificates = parse_certificates(data)
    for _der, cert in certificates:
        if not cert.ca:
            raise ValidationFailed(
                f"Chứng thư “{cert.subject.human_friendly}” không phải chứng thư của tổ chức cấp chứng thư (CA): "
                "basicConstraints không có cA. Chỉ thêm chứng thư gốc hoặc chứng thư trung gian của tổ chức cấp, "
                "không thêm chứng thư của người ký; không chứng thư nào trong tệp được thêm.", field="file")
    added: list[TrustedRoot] = []
    already: list[TrustedRoot] = []
    for der, cert in certificates:
        fingerprint = hashlib.sha256(der).hexdigest()
        existing = next((r for r in added if r.fingerprint == fingerprint), None) or db.session.execute(
            select(TrustedRoot).where(TrustedRoot.organisation_id == organisation.id,
                                      TrustedRoot.fingerprint == fingerprint)).scalar_one_or_none()
        if existing is not None:
            if existing not in added and existing not in already:
                already.append(existing)
            continue
        subject = cert.subject.human_friendly
        label = name.strip()
        if label and len(certificates) > 1:
            label = f"{label}: {cert.subject.native.get('common_name', subject)}"
        root = TrustedRoot(organisation_id=organisation.id, name=(label or subject)[:255], der=der,
                           fingerprint=fingerprint)
        db.session.add(root)
        record("trust.add", root, actor=actor, organisation_id=organisation.id, changes={"subject": subject})
        added.append(root)
    return RootsAdded(added, already)


def upload_trusted_roots(actor: User, data: bytes, name: str = "") -> RootsAdded:
    """An admin's file of root certificates for their organisation (``add_trusted_roots``), committed."""
    result = add_trusted_roots(actor, actor.organisation, data, name)
    commit()
    return result


def add_trusted_root(actor: User | None, organisation: Organisation, data: bytes, name: str = "") -> TrustedRoot:
    """One root certificate (the development CA of the demo): the new row, or the one already there."""
    result = add_trusted_roots(actor, organisation, data, name)
    return [*result.added, *result.already][0]


def remove_trusted_root(actor: User, root_id: int) -> None:
    require_admin_of(actor, actor.organisation, TRUST_ADMINS_ONLY)
    root = get_in(TrustedRoot, root_id, actor.organisation_id, "Không tìm thấy chứng thư gốc.")
    record("trust.remove", root, actor=actor, changes={"name": root.name, "fingerprint": root.fingerprint})
    db.session.delete(root)
    commit()


def roots_of(organisation_id: int) -> list[TrustedRoot]:
    return list(db.session.execute(select(TrustedRoot).where(TrustedRoot.organisation_id == organisation_id)
                                   .order_by(TrustedRoot.id)).scalars())


def trust_roots(organisation_id: int) -> list[asn1_x509.Certificate]:
    return [asn1_x509.Certificate.load(r.der) for r in roots_of(organisation_id)]


def revocation_mode() -> str:
    return str(current_app.config["EDOC"].signing_revocation)


def validation_context(organisation_id: int) -> ValidationContext:
    """The organisation's roots, with revocation checked as the deployment says (``EDOC_SIGNING_REVOCATION``:
    off, soft or hard; see ``signing.trust``)."""
    return signing_context(trust_roots(organisation_id), revocation=revocation_mode())


def check_certificate(organisation_id: int, key: SigningKey) -> None:
    """Refuse, with a clear message, a certificate that cannot make a valid signature for this organisation:
    expired or not yet valid, not chained to its trusted roots, revoked."""
    try:
        check_signing_certificate(key, validation_context=validation_context(organisation_id))
    except CertificateNotUsable as exc:
        hint = (" Quản trị viên cần thêm chứng thư gốc của tổ chức cấp chứng thư tại trang “Chữ ký số của cơ quan”."
                if exc.reason == "untrusted" else "")
        raise ValidationFailed(f"Không dùng được chứng thư số: {exc}.{hint}") from None
    except SigningError as exc:
        raise ValidationFailed(f"Không kiểm tra được chứng thư số: {exc}.") from None


def timestamper() -> TimeStamper | None:
    """The configured timestamp authority, or None (then signatures are PAdES B-B). One client per app: it
    keeps the size-estimate token pyHanko asks the TSA for, which would otherwise cost a second request for
    every signature."""
    settings = current_app.config["EDOC"]
    if not settings.tsa_url:
        return None
    client = current_app.extensions.get("edoc_tsa")
    if client is None:
        client = http_timestamper(settings.tsa_url, username=settings.tsa_username, password=settings.tsa_password)
        current_app.extensions["edoc_tsa"] = client
    return client
