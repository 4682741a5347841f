"""Every edXML message sent or received, kept with its bytes: the exchange's log, its idempotency and the
per-recipient status of documents sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.db import UTCDateTime, db, utcnow


class ExchangeMessage(db.Model):
    """Một gói tin edXML: a document (business code 0-3) or a status (01-06), out or in."""

    __tablename__ = "exchange_message"
    __table_args__ = (
        # the same bytes received twice by one organisation are one message: registered once
        UniqueConstraint("organisation_id", "direction", "sha256"),
        Index("ix_exchange_message_doc", "organisation_id", "edxml_document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))
    """out, in."""
    kind: Mapped[str] = mapped_column(String(8))
    """document, status."""
    edxml_document_id: Mapped[str] = mapped_column(String(255))
    """The message's DocumentId (``{OrganId},{YYYY/MM/DD},{số}/{ký hiệu}``): what statuses refer to."""
    business: Mapped[int] = mapped_column(default=0)
    status_code: Mapped[str] = mapped_column(String(2), default="")
    """For a status message: 01-06."""
    peer_organ_id: Mapped[str] = mapped_column(String(64))
    """The other side's OrganId: the recipient (out) or the sender (in)."""
    peer_name: Mapped[str] = mapped_column(String(255), default="")
    outgoing_document_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_document.id"), index=True)
    incoming_document_id: Mapped[int | None]
    """The incoming document a received message became (edoc.incoming), when it did."""
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    """out: pending, sent, failed; in: received, rejected, applied."""
    note: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str] = mapped_column(String(16), default="")
    """The envelope's XML signature. out: signed (with the organisation's credential), unsigned (it has none, or
    it could not be used: ``signature_note`` says why); in: valid (intact, certificate trusted by the receiving
    organisation), untrusted (intact, certificate not trusted: ``signature_note`` says why), unsigned. A signature
    that does not verify is never kept: the message is refused."""
    signature_note: Mapped[str] = mapped_column(Text, default="")
    """Who signed (name and serial of the certificate), and why not trusted or why unsigned."""
    peer_status: Mapped[str] = mapped_column(String(2), default="")
    """out documents: the last status the recipient sent back (01 arrived ... 06 done)."""
    peer_status_note: Mapped[str] = mapped_column(Text, default="")
    peer_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
