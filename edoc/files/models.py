from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.db import UTCDateTime, db, utcnow


class StoredFile(db.Model):
    """A file's metadata; the bytes are in the object store under ``key``."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(128))
    """Sniffed from the content, never taken from the client's claim."""
    original_name: Mapped[str] = mapped_column(String(255))
    purpose: Mapped[str] = mapped_column(String(32), default="upload")
    """Why it is kept: upload, signature-image, seal-image, document, ... (decides who may read it)."""
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", use_alter=True), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])
