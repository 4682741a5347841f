"""What the organisation trusts: its root certificates (e.g. the national root CA), how strictly revocation is
checked (``EDOC_SIGNING_REVOCATION``), and the timestamp authority its signatures use (``EDOC_TSA_URL``)."""

from __future__ import annotations

import hashlib

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from flask import current_app
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.audit.service import record
from edoc.core.db import db
from edoc.core.errors import NotAllowed, NotFound, ValidationFailed
from edoc.organisations.models import Organisation
from edoc.signatures.models import TrustedRoot
from signing.errors import CertificateNotUsable, SigningError
from signing.keys import SigningCredential as SigningKey
from signing.sign import check_certificate as check_signing_certificate
from signing.timestamps import TimeStamper, http_timestamper
from signing.trust import validation_context as signing_context

ROOT_MAX_BYTES = 256 * 1024


def require_admin(actor: User) -> None:
    if not actor.has_role(Role.ADMIN):
        raise NotAllowed("Chỉ quản trị viên quản lý chứng thư số của cơ quan và chứng thư gốc tin cậy.")


def parse_certificate(data: bytes) -> tuple[bytes, asn1_x509.Certificate]:
    """DER bytes and the certificate, from a DER or PEM file; anything else is refused clearly."""
    if len(data) > ROOT_MAX_BYTES:
        raise ValidationFailed("Tệp chứng thư quá lớn.", field="file")
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            _type, _headers, data = pem.unarmor(data.strip())
        except ValueError:
            raise ValidationFailed("Tệp PEM không hợp lệ.", field="file") from None
    try:
        cert = asn1_x509.Certificate.load(data)
        _ = cert.subject.human_friendly, cert["tbs_certificate"]["validity"]["not_after"].native
    except (ValueError, TypeError, KeyError):
        raise ValidationFailed("Tệp không phải chứng thư số X.509 (DER hoặc PEM).", field="file") from None
    return data, cert


def add_trusted_root(actor: User | None, organisation: Organisation, data: bytes, name: str = "") -> TrustedRoot:
    if actor is not None:
        require_admin(actor)
    der, cert = parse_certificate(data)
    fingerprint = hashlib.sha256(der).hexdigest()
    existing = db.session.execute(select(TrustedRoot).where(
        TrustedRoot.organisation_id == organisation.id, TrustedRoot.fingerprint == fingerprint)).scalar_one_or_none()
    if existing is not None:
        return existing
    subject = cert.subject.human_friendly
    root = TrustedRoot(organisation_id=organisation.id, name=(name.strip() or subject)[:255], der=der,
                       fingerprint=fingerprint)
    db.session.add(root)
    record("trust.add", root, actor=actor, organisation_id=organisation.id, changes={"subject": subject})
    return root


def remove_trusted_root(actor: User, root_id: int) -> None:
    require_admin(actor)
    root = db.session.get(TrustedRoot, root_id)
    if root is None or root.organisation_id != actor.organisation_id:
        raise NotFound("Không tìm thấy chứng thư gốc.")
    record("trust.remove", root, actor=actor, changes={"name": root.name, "fingerprint": root.fingerprint})
    db.session.delete(root)


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
