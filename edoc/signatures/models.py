from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.db import UTCDateTime, db, utcnow


class SigningCredential(db.Model):
    """A certificate and its key, kept only encrypted in the object store (``signing.keys.export_kept_key``).

    A person's is encrypted with their signing PIN, which is never stored. The organisation's (the seal) is
    encrypted with a key derived from the server's secret, so the clerk can apply it without a shared PIN.
    """

    __tablename__ = "signing_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    """None: the organisation's own credential (chữ ký số của cơ quan, tổ chức)."""
    source: Mapped[str] = mapped_column(String(16))
    """pkcs12 (imported), devca (the development CA: no legal value) or pkcs11 (a key on the server's token or
    HSM, ``EDOC_PKCS11_MODULE``; the PIN is the token's own)."""
    p12_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    """The encrypted key (a kept key; credentials kept before were PKCS#12 files, kept again in the current
    form when first opened); None for a PKCS#11 key, which never leaves its token."""
    token_label: Mapped[str | None] = mapped_column(String(64))
    key_label: Mapped[str | None] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(String(255))
    issuer: Mapped[str] = mapped_column(String(255))
    serial: Mapped[str] = mapped_column(String(64))
    not_after: Mapped[datetime] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(default=True)
    failed_pins: Mapped[int] = mapped_column(default=0, server_default="0")
    """Wrong PINs in a row: a stolen database must not be a PIN-guessing oracle through the web pages."""
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TrustedRoot(db.Model):
    """A root certificate signatures are trusted up to (e.g. the national root CA)."""

    __tablename__ = "trusted_root"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    der: Mapped[bytes] = mapped_column(LargeBinary)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ValidationRecord(db.Model):
    """A validation report kept with the file it is about."""

    __tablename__ = "validation_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_document.id"), index=True)
    """The document the file belongs to, when it entered the system as part of one."""
    context: Mapped[str] = mapped_column(String(16), default="upload", server_default="upload")
    """upload (checked on request), version (a signed PDF uploaded as a draft), attachment, signed, issued."""
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    all_valid: Mapped[bool]
    report: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
