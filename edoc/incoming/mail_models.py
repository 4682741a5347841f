"""The e-mail channel of incoming documents: an organisation's mailbox (IMAP) and each message taken from it.

A message is recorded once per (mailbox, UIDVALIDITY, UID), in the transaction that makes its incoming documents:
the row is what makes the poll job idempotent (``edoc.incoming.mail_intake``), the flag set on the server after the
commit only keeps the next search short."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.db import UTCDateTime, db, utcnow


class Security(enum.StrEnum):
    SSL = "ssl"
    """IMAP over TLS from the first byte (port 993)."""
    STARTTLS = "starttls"
    """Plain connection upgraded with STARTTLS (port 143); refused if the server does not offer it."""
    NONE = "none"
    """No encryption: only for a server on the same machine or network (the password crosses in clear)."""


SECURITY_LABELS = {Security.SSL: "SSL/TLS (cổng 993)", Security.STARTTLS: "STARTTLS (cổng 143)",
                   Security.NONE: "Không mã hóa (chỉ máy chủ nội bộ)"}


class IncomingMailbox(db.Model):
    """Hộp thư nhận văn bản đến: one per organisation, set by its clerk or admin."""

    __tablename__ = "incoming_mailbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    security: Mapped[str] = mapped_column(String(16), default=Security.SSL.value)
    username: Mapped[str] = mapped_column(String(255))
    password_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Sealed with the server's secret key (``edoc.jobs.secrets.seal_value``), bound to this organisation: a copy
    of the database alone does not give the password; it is never shown back on the page."""
    folder: Mapped[str] = mapped_column(String(255), default="INBOX")
    enabled: Mapped[bool] = mapped_column(default=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    """The last poll's failure in Vietnamese (wrong password, server away), shown on the settings page; empty once
    a poll succeeds."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class MailState(enum.StrEnum):
    TAKEN = "taken"
    """Its PDF attachments are incoming documents waiting in the clerk's queue."""
    REJECTED = "rejected"
    """Nothing usable in it (no PDF, bad files, too large, unreadable): recorded with the reason."""
    DUPLICATE = "duplicate"
    """A Message-ID already taken from this mailbox (the same message copied or delivered twice)."""


class AckState(enum.StrEnum):
    NONE = ""
    """Not acknowledged: the sender could not be trusted (forged or unverified), or it is a copy."""
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    MANUAL = "manual"
    """No SMTP server configured on this installation: the clerk acknowledges by hand."""


class IncomingMail(db.Model):
    """Thư đến: one message taken from a mailbox, what became of it, and its acknowledgement to the sender."""

    __tablename__ = "incoming_mail"
    __table_args__ = (
        UniqueConstraint("mailbox_id", "uidvalidity", "uid"),
        Index("ix_incoming_mail_mailbox_message_id", "mailbox_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("incoming_mailbox.id"))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str] = mapped_column(String(255), default="")
    sender_email: Mapped[str] = mapped_column(String(255), default="")
    sender_name: Mapped[str] = mapped_column(String(255), default="")
    sender_trusted: Mapped[bool] = mapped_column(default=False)
    """The From address is one plain address the receiving server did not mark as failing SPF/DKIM/DMARC: only
    then is it acknowledged (a reply to a forged address would be sent to someone who sent nothing)."""
    subject: Mapped[str] = mapped_column(String(500), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    """Why files or the whole message were refused, and what was found about the sender, in Vietnamese."""
    documents: Mapped[int] = mapped_column(Integer, default=0)
    """How many incoming documents it became."""
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ack_state: Mapped[str] = mapped_column(String(16), default=AckState.NONE.value)
    ack_claim: Mapped[str] = mapped_column(String(128), default="")
    """The claim token of the job attempt sending the acknowledgement (as ``documents.dispatch`` does)."""
    ack_note: Mapped[str] = mapped_column(Text, default="")
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
