"""Signing credentials (chứng thư số and their keys): kept, unlocked with a PIN, locked after wrong PINs.

Where a key lives:
- ``pkcs12`` / ``devca``: a software key, kept in the object store only as a PKCS#12 encrypted with a
  password derived from the person's PIN *and* the server's secret (HMAC), so a copy of the database and the
  store alone is no offline PIN-guessing target; the PIN itself is never stored.
- ``pkcs11``: a key on the server's token or HSM (``EDOC_PKCS11_MODULE``); it never leaves the token and the
  PIN is the token's own.
- the organisation's credential (``user_id`` None, the e-seal): a PKCS#12 whose password is derived from the
  server's secret alone, so the clerk applies it without a shared PIN.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta

from asn1crypto import x509 as asn1_x509
from flask import current_app
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.accounts.policy import require_admin_of
from edoc.audit.service import record
from edoc.core.clock import vietnam_time
from edoc.core.db import commit, db, utcnow
from edoc.core.errors import DomainError, ValidationFailed
from edoc.files.models import StoredFile
from edoc.files.service import delete_after_commit, read_verified, store_bytes
from edoc.organisations.models import Organisation
from edoc.signatures.models import SigningCredential
from edoc.signatures.trust import TRUST_ADMINS_ONLY, check_certificate
from signing.errors import BadPassword, SigningError
from signing.keys import SignerKey, export_kept_key, is_kept_key, load_kept_key, load_pkcs12
from signing.keys import SigningCredential as SigningKey
from signing.tokens import open_token

MIN_PIN = 6
MAX_PIN_FAILURES = 5
PIN_LOCK_MINUTES = 15
P12_MAX_BYTES = 1024 * 1024


class SigningRefused(ValidationFailed):
    code = "signing_refused"


class PinLocked(DomainError):
    status = 429
    code = "pin_locked"


def _derived(label: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, label.encode(), hashlib.sha256).hexdigest()


def _seal_password(organisation_id: int) -> str:
    """The organisation credential's PKCS#12 password: derived from the server's secret, never stored."""
    return _derived(f"edoc-seal:org-{organisation_id}")


def _pin_password(organisation_id: int, user_id: int, pin: str) -> str:
    return _derived(f"edoc-pin:{organisation_id}:{user_id}:{pin}")


def _describe(certificate: asn1_x509.Certificate) -> dict[str, object]:
    subject = certificate.subject.native
    return {"subject": str(subject.get("common_name", ""))[:255],
            "issuer": str(certificate.issuer.native.get("common_name", ""))[:255],
            "serial": str(certificate.serial_number)[:64],
            "not_after": certificate["tbs_certificate"]["validity"]["not_after"].native.astimezone(UTC)}


def _refused(exc: SigningError, prefix: str) -> SigningRefused:
    text = str(exc).rstrip(".")
    return SigningRefused(f"{prefix}: {text[:1].lower()}{text[1:]}.")


def active_credential(organisation_id: int, user_id: int | None) -> SigningCredential | None:
    return db.session.execute(select(SigningCredential).where(
        SigningCredential.organisation_id == organisation_id, SigningCredential.user_id == user_id,
        SigningCredential.active.is_(True))).scalars().first()


def _replace_active(credential: SigningCredential) -> None:
    for old in db.session.execute(select(SigningCredential).where(
            SigningCredential.organisation_id == credential.organisation_id,
            SigningCredential.user_id == credential.user_id, SigningCredential.active.is_(True))).scalars():
        old.active = False
    db.session.add(credential)


KEPT_ROUNDS = 50_000
"""PBKDF2 rounds of a kept key. Its password is derived from the server's secret (with the PIN for a person's),
so it is no guessable password while that secret is kept; the rounds are for the day it is not: 2.5 times the
work PKCS#12 files asked (20,000), which is how keys were kept before."""


def _keep(key: SignerKey, password: str, owner: User) -> StoredFile:
    return store_bytes(export_kept_key(key, password, rounds=KEPT_ROUNDS), "credential.key", uploader=owner,
                       purpose="credential", media_type="application/octet-stream")


def save_credential(actor: User | None, organisation: Organisation, key: SignerKey, *, user: User | None,
                    pin: str | None, source: str) -> SigningCredential:
    """Keep a software key: a person's wrapped with their PIN (and the server's secret), the organisation's
    with the server-derived password. It replaces the owner's active credential."""
    if user is not None:
        if not pin or len(pin) < MIN_PIN:
            raise ValidationFailed(f"Mã PIN ký số phải có ít nhất {MIN_PIN} ký tự.", field="pin")
        password = _pin_password(organisation.id, user.id, pin)
    else:
        password = _seal_password(organisation.id)
    owner = user or actor
    assert owner is not None
    blob = _keep(key, password, owner)
    credential = SigningCredential(organisation_id=organisation.id, user_id=user.id if user else None,
                                   source=source, p12_file_id=blob.id, **_describe(key.certificate))
    _replace_active(credential)
    record("credential.add", credential, actor=actor, organisation_id=organisation.id,
           changes={"subject": credential.subject, "serial": credential.serial, "source": source,
                    "owner": user.username if user else "organisation"})
    return credential


def _read_p12(data: bytes, password: str) -> SignerKey:
    if len(data) > P12_MAX_BYTES:
        raise SigningRefused("Tệp chứng thư số quá lớn (tối đa 1 MB).", field="p12")
    try:
        return load_pkcs12(data, password)
    except BadPassword as exc:
        raise SigningRefused(f"Không mở được tệp chứng thư số: {exc}.", field="p12_password") from None


def import_pkcs12(actor: User, data: bytes, p12_password: str, pin: str) -> SigningCredential:
    """A person brings their certificate (PKCS#12 from their CA): it must be valid now and chain to one of the
    organisation's trusted roots; it is kept wrapped with their PIN, the file's password is not kept."""
    key = _read_p12(data, p12_password)
    check_certificate(actor.organisation_id, key)
    credential = save_credential(actor, actor.organisation, key, user=actor, pin=pin, source="pkcs12")
    commit()
    return credential


def import_organisation_pkcs12(actor: User, data: bytes, p12_password: str) -> SigningCredential:
    """The organisation's own certificate (the e-seal), brought by an admin."""
    require_admin_of(actor, actor.organisation, TRUST_ADMINS_ONLY)
    key = _read_p12(data, p12_password)
    check_certificate(actor.organisation_id, key)
    credential = save_credential(actor, actor.organisation, key, user=None, pin=None, source="pkcs12")
    commit()
    return credential


def _pkcs11_module() -> str:
    module = current_app.config["EDOC"].pkcs11_module
    if not module:
        raise SigningRefused("Máy chủ chưa cấu hình thiết bị ký số PKCS#11 (EDOC_PKCS11_MODULE).")
    return str(module)


def register_token_key(actor: User, token_label: str, key_label: str, pin: str) -> SigningCredential:
    """A key on the server's token or HSM becomes the person's credential; the PIN opens the token once to
    read the certificate and is not kept."""
    token_label, key_label = token_label.strip(), key_label.strip()
    if not token_label:
        raise ValidationFailed("Nhập nhãn (label) của thiết bị ký số.", field="token_label")
    try:
        with open_token(_pkcs11_module(), pin=pin, token_label=token_label, key_label=key_label or None) as key:
            check_certificate(actor.organisation_id, key)
            described = _describe(key.certificate)
    except BadPassword as exc:
        raise SigningRefused(f"Không mở được thiết bị ký số: {exc}.", field="pin") from None
    except SigningError as exc:
        raise _refused(exc, "Không dùng được thiết bị ký số") from None
    credential = SigningCredential(organisation_id=actor.organisation_id, user_id=actor.id, source="pkcs11",
                                   p12_file_id=None, token_label=token_label[:64], key_label=key_label[:128] or None,
                                   **described)
    _replace_active(credential)
    record("credential.add", credential, actor=actor, changes={
        "subject": credential.subject, "serial": credential.serial, "source": "pkcs11", "token": token_label,
        "owner": actor.username})
    commit()
    return credential


# --- unlocking ---------------------------------------------------------------------------------------

def _check_lock(credential: SigningCredential) -> None:
    if credential.locked_until is not None and credential.locked_until > utcnow():
        until = vietnam_time(credential.locked_until).strftime("%H:%M")
        raise PinLocked(f"Mã PIN ký số đã nhập sai {MAX_PIN_FAILURES} lần liên tiếp; chức năng ký số tạm khóa "
                        f"đến {until}.")


def _wrong_pin(credential: SigningCredential, actor: User) -> SigningRefused:
    """Count a wrong PIN. The count must survive the refused request, so it is written in a transaction of
    its own (as failed sign-ins are)."""
    credential_id = credential.id
    db.session.rollback()
    row = db.session.get(SigningCredential, credential_id)
    assert row is not None
    row.failed_pins += 1
    locked = row.failed_pins >= MAX_PIN_FAILURES
    if locked:
        row.failed_pins = 0
        row.locked_until = utcnow() + timedelta(minutes=PIN_LOCK_MINUTES)
    record("credential.wrong_pin", row, actor=actor, changes={"locked": locked})
    commit()
    if locked:
        return PinLocked(f"Mã PIN ký số không đúng. Đã sai {MAX_PIN_FAILURES} lần liên tiếp: chức năng ký số tạm "
                         f"khóa {PIN_LOCK_MINUTES} phút.")
    return SigningRefused("Mã PIN ký số không đúng.", field="pin")


def _right_pin(credential: SigningCredential) -> None:
    if credential.failed_pins or credential.locked_until is not None:
        credential.failed_pins, credential.locked_until = 0, None


def _unwrap(credential: SigningCredential, password: str, *, legacy: str | None = None) -> SignerKey:
    """The credential's key, opened with ``password``. Keys kept before kept keys existed are PKCS#12 files
    (the oldest wrapped with the bare PIN, ``legacy``): opened once the slow way, which checks the key, then
    kept again in the current form, so the next signature opens in a few milliseconds."""
    blob = db.session.get(StoredFile, credential.p12_file_id)
    assert blob is not None
    data = read_verified(blob)
    if is_kept_key(data):
        return load_kept_key(data, password)
    try:
        key = load_pkcs12(data, password)
    except BadPassword:
        if legacy is None:
            raise
        # credentials kept before PINs were combined with the server's secret were wrapped with the bare PIN
        key = load_pkcs12(data, legacy)
    person = db.session.get(User, credential.user_id) if credential.user_id is not None else None
    owner = person or blob.uploaded_by
    assert owner is not None
    kept = _keep(key, password, owner)
    credential.p12_file_id = kept.id
    record("credential.rewrap", credential, actor=person, organisation_id=credential.organisation_id,
           changes={"file_id": [blob.id, kept.id], "format": "kept-key"})
    _retire(blob)
    return key


def _retire(blob: StoredFile) -> None:
    """Delete a credential's old blob: wrapped with the bare PIN, it would stay an offline PIN-guessing target
    for whoever copies the store. Its row goes in the caller's transaction (after the credential points at the
    new blob: nothing else refers to a credential's blob), its bytes only once that commits, so a rolled-back
    re-wrap leaves the old blob as it was (``files.service.delete_after_commit``)."""
    db.session.flush()  # the credential's new file id is written before its old file row is deleted
    delete_after_commit(blob)


@contextmanager
def personal_key(user: User, pin: str) -> Iterator[SigningKey]:
    """The person's signing key, unlocked with their PIN, for the duration of the block (a token's session
    stays open for a whole batch)."""
    credential = active_credential(user.organisation_id, user.id)
    if credential is None:
        raise SigningRefused("Bạn chưa có chứng thư số. Hãy nhập chứng thư số ở trang “Chứng thư số của tôi”.")
    _check_lock(credential)
    if not pin:
        raise ValidationFailed("Nhập mã PIN ký số.", field="pin")
    if credential.source == "pkcs11":
        try:
            token = open_token(_pkcs11_module(), pin=pin, token_label=credential.token_label,
                               key_label=credential.key_label)
        except BadPassword:
            raise _wrong_pin(credential, user) from None
        except SigningError as exc:
            raise _refused(exc, "Không dùng được thiết bị ký số") from None
        _right_pin(credential)
        with token:
            yield token
        return
    try:
        key = _unwrap(credential, _pin_password(user.organisation_id, user.id, pin), legacy=pin)
    except BadPassword:
        raise _wrong_pin(credential, user) from None
    _right_pin(credential)
    yield key


def organisation_key(organisation: Organisation) -> SignerKey | None:
    credential = active_credential(organisation.id, None)
    if credential is None:
        return None
    try:
        return _unwrap(credential, _seal_password(organisation.id))
    except BadPassword:
        raise SigningRefused("Không mở được chứng thư số của cơ quan: khóa bí mật của máy chủ (EDOC_SECRET_KEY) "
                             "đã thay đổi; quản trị viên cần nhập lại chứng thư số của cơ quan.") from None


def profile_part(user: User) -> dict[str, object]:
    """The signing credential shown on one's profile page (``edoc.accounts.views.add_to_profile``)."""
    return {"credential": active_credential(user.organisation_id, user.id)}
