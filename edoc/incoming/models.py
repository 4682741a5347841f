"""An incoming document (văn bản đến), its files and its named readers."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.accounts.models import User
from edoc.core.db import UTCDateTime, db, utcnow
from edoc.files.models import StoredFile
from edoc.incoming.mail_models import IncomingMail
from edoc.organisations.models import Organisation


class IncomingStatus(enum.StrEnum):
    RECEIVED = "received"
    """Arrived (e-mail, same installation), waiting for the clerk to register it."""
    REGISTERED = "registered"
    """Has its số đến; to be presented to the leader."""
    PRESENTED = "presented"
    """Waiting for the leader's direction."""
    IN_PROGRESS = "in_progress"
    """Directed and assigned: being handled."""
    DONE = "done"
    """Answered or closed with a result."""
    FILED = "filed"
    RETURNED = "returned"
    """Sent back to the sender (wrong recipient, broken signature)."""
    RECALLED = "recalled"
    """Recalled by its sender (an edXML recall, business code 1): not to be handled further."""


STATUS_LABELS = {
    IncomingStatus.RECEIVED: "Chờ vào sổ", IncomingStatus.REGISTERED: "Đã vào sổ, chờ trình",
    IncomingStatus.PRESENTED: "Chờ ý kiến chỉ đạo", IncomingStatus.IN_PROGRESS: "Đang giải quyết",
    IncomingStatus.DONE: "Đã giải quyết", IncomingStatus.FILED: "Đã lưu hồ sơ", IncomingStatus.RETURNED: "Đã trả lại",
    IncomingStatus.RECALLED: "Nơi gửi đã thu hồi",
}
HANDLING_VALUES = (IncomingStatus.IN_PROGRESS.value,)


class Channel(enum.StrEnum):
    PAPER = "paper"
    """A paper document, scanned by the clerk."""
    UPLOAD = "upload"
    """An electronic file the clerk uploads (received outside the system)."""
    EMAIL = "email"
    INTERNAL = "internal"
    """Issued by another organisation on the same installation."""
    EDXML = "edxml"
    """Received over the exchange network (trục liên thông) as an edXML message (``edoc.exchange``)."""


CHANNEL_LABELS = {Channel.PAPER: "Văn bản giấy", Channel.UPLOAD: "Văn bản điện tử (tải lên)",
                  Channel.EDXML: "Trục liên thông (edXML)",
                  Channel.EMAIL: "Thư điện tử", Channel.INTERNAL: "Trên hệ thống"}


class IncomingDocument(db.Model):
    __tablename__ = "incoming_document"
    __table_args__ = (
        UniqueConstraint("register_id", "year", "number"),
        UniqueConstraint("organisation_id", "source_document_id"),
        # The due/overdue box walks this in deadline order and stops at its page (64,000 overdue of 100,000).
        Index("ix_incoming_document_org_status", "organisation_id", "status", "deadline"),
        Index("ix_incoming_document_org_duplicate", "organisation_id", "duplicate_key"),
        Index("ix_incoming_document_org_year_number", "organisation_id", "year", "number"),
        # The board's aggregate reads these columns only, the access clause's included: a covering index is
        # scanned instead of the wide rows (the document's text lives in the row).
        Index("ix_incoming_document_board", "organisation_id", "year", "lead_unit_id", "received_on", "status",
              "deadline", "finished_on", "number", "presented_to_id", "registered_by_id", "directed_by_id",
              "secrecy"),
        # The board's exact parts beside its kept counts: the secret documents of a year (few), and what a leader
        # sees without its being presented to them (registered or directed by them).
        Index("ix_incoming_document_org_year_secrecy", "organisation_id", "year", "secrecy"),
        Index("ix_incoming_document_registered_by", "registered_by_id", "presented_to_id"),
        Index("ix_incoming_document_directed_by", "directed_by_id", "presented_to_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), active_history=True)
    status: Mapped[str] = mapped_column(String(16), default=IncomingStatus.RECEIVED.value, active_history=True)
    channel: Mapped[str] = mapped_column(String(16))
    register_id: Mapped[int | None] = mapped_column(ForeignKey("register.id"))
    year: Mapped[int | None] = mapped_column(active_history=True)
    number: Mapped[int | None] = mapped_column(active_history=True)
    """Số đến: one sequence per year, paper and electronic together (Article 22.2)."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    """Ngày đến."""
    received_on: Mapped[date] = mapped_column(Date, active_history=True)
    """The Vietnam day it arrived: deadlines and the presentation rule count from it."""
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    sender_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    sender_name: Mapped[str] = mapped_column(String(255))
    """Tác giả: the issuing body's name as registered."""
    sender_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    """The issuing organisation, when it uses the same installation."""
    sender_email: Mapped[str] = mapped_column(String(255), default="")
    mail_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_mail.id"), index=True)
    """The e-mail message it came in (``edoc.incoming.mail_models``), for the e-mail channel."""
    original_reference: Mapped[str] = mapped_column(String(64), default="")
    """Số, ký hiệu of the original: 445/KH-LĐLĐ."""
    original_date: Mapped[date | None] = mapped_column(Date)
    type_code: Mapped[str] = mapped_column(String(8), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    signer_name: Mapped[str] = mapped_column(String(255), default="")
    secrecy: Mapped[str] = mapped_column(String(16), default="", active_history=True)
    urgency: Mapped[str] = mapped_column(String(16), default="")
    pages: Mapped[int | None]
    attachments_note: Mapped[str] = mapped_column(String(255), default="")
    duplicate_key: Mapped[str] = mapped_column(String(64), default="")
    """Sender, số/ký hiệu and date, folded: the same arrival registered twice has the same key."""

    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    """The document's text: the PDF's text layer, or OCR's. Kept beside the file: a signed PDF is never rewritten."""
    text_source: Mapped[str] = mapped_column(String(8), default="")
    """``pdf`` (text layer), ``ocr``, or empty (none yet)."""
    ocr_status: Mapped[str] = mapped_column(String(16), default="")
    """``pending`` (a job will read it), ``done``, ``failed``, or empty (not needed)."""
    signature_verdict: Mapped[str] = mapped_column(String(16), default="")
    """``valid``, ``invalid`` (broken or untrusted: flagged), ``unsigned``, or empty for a scan."""
    validation_id: Mapped[int | None] = mapped_column(ForeignKey("validation_record.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Receipt acknowledged to the sender (Article 21.2.c), where the channel allows."""

    presented_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True,
                                                        active_history=True)
    presented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    presented_on: Mapped[date | None] = mapped_column(Date)
    presented_late: Mapped[bool] = mapped_column(default=False)
    """Presented after the next working day following arrival (Article 23.1), or an urgent one not the same day."""
    direction: Mapped[str] = mapped_column(Text, default="")
    """Ý kiến chỉ đạo (bút phê)."""
    directed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    directed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline: Mapped[date | None] = mapped_column(Date, active_history=True)
    """Thời hạn giải quyết: the lead's deadline."""
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), active_history=True)
    """The unit that leads its handling (đơn vị chủ trì): the lead task's unit, or the lead person's unit when it
    was assigned. Kept on the document so the leaders' board counts per unit without joining tasks and people."""
    term_text: Mapped[str] = mapped_column(String(255), default="")
    """The words in the text that suggested a deadline, if any."""

    result: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_on: Mapped[date | None] = mapped_column(Date, active_history=True)
    reply_document_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_document.id"), index=True)
    """The outgoing document that answers it."""
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    return_reason: Mapped[str] = mapped_column(Text, default="")
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    source_document_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_document.id"))
    """The issued document it is, when delivered on the same installation."""
    recall_reason: Mapped[str] = mapped_column(Text, default="")
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When its sender recalled it (status ``recalled``), with the sender's reason."""
    replaces_id: Mapped[int | None]
    """The earlier arrival this one replaces (an edXML replacement, business code 3). No foreign key: SQLite's
    batch migration cannot copy a table that refers to itself."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    file: Mapped[StoredFile | None] = relationship(foreign_keys=[file_id])
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])
    presented_to: Mapped[User | None] = relationship(foreign_keys=[presented_to_id])
    directed_by: Mapped[User | None] = relationship(foreign_keys=[directed_by_id])
    mail: Mapped[IncomingMail | None] = relationship(foreign_keys=[mail_id])
    attachments: Mapped[list[IncomingAttachment]] = relationship(back_populates="document",
                                                                 order_by="IncomingAttachment.id")
    readers: Mapped[list[IncomingReader]] = relationship(back_populates="document")
    replaces: Mapped[IncomingDocument | None] = relationship(
        primaryjoin="foreign(IncomingDocument.replaces_id) == remote(IncomingDocument.id)", viewonly=True)
    replaced_by: Mapped[list[IncomingDocument]] = relationship(
        primaryjoin="IncomingDocument.id == remote(foreign(IncomingDocument.replaces_id))", viewonly=True,
        order_by="IncomingDocument.id")

    @property
    def status_enum(self) -> IncomingStatus:
        return IncomingStatus(self.status)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status_enum]

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS[Channel(self.channel)]

    @property
    def is_secret(self) -> bool:
        return bool(self.secrecy)

    @property
    def arrival_number(self) -> str:
        """Số đến as written: 05 (a leading zero under 10), or a dash before registration."""
        return f"{self.number:02d}" if self.number is not None else "—"


class IncomingAttachment(db.Model):
    __tablename__ = "incoming_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("incoming_document.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    title: Mapped[str] = mapped_column(String(255))

    document: Mapped[IncomingDocument] = relationship(back_populates="attachments")
    file: Mapped[StoredFile] = relationship()


class IncomingReader(db.Model):
    """Someone given a secret incoming document by name (besides those it is presented or assigned to)."""

    __tablename__ = "incoming_reader"
    __table_args__ = (UniqueConstraint("document_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("incoming_document.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)

    document: Mapped[IncomingDocument] = relationship(back_populates="readers")


NO_DEADLINE = date(9999, 12, 31)
"""A kept count's deadline when the document has none (or the state has none): after every today, so a handled
document without a deadline is always "in progress", and the key's columns are never NULL (a unique key with a
NULL in it would not stop a second row)."""


class IncomingBoardCount(db.Model):
    """The leaders' board kept as counts (``edoc.incoming.board_counts``): how many numbered documents of an
    organisation's year have one key (month of arrival, lead unit, the leader presented to, secret or not, state and,
    for those being handled, the deadline day). Kept in the transaction of every change of a document; "overdue" is
    the handled ones whose deadline day is before today, summed when the board is read, so no nightly job."""

    __tablename__ = "incoming_board_count"
    __table_args__ = (
        UniqueConstraint("organisation_id", "year", "month", "lead_unit_id", "presented_to_id", "secret", "state",
                         "deadline", name="uq_incoming_board_count_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int]
    year: Mapped[int]
    month: Mapped[int]
    lead_unit_id: Mapped[int]
    """0: no lead unit (the board's "Chưa giao đơn vị")."""
    presented_to_id: Mapped[int]
    """0: not presented. A leader who is not a clerk sees what is presented to them: their board reads these."""
    secret: Mapped[bool]
    state: Mapped[str] = mapped_column(String(8))
    """``open`` (numbered, not yet handled, returned or recalled), ``handling``, ``on_time``, ``late``, ``done``
    (finished without a day: counted as received only, as the direct query does)."""
    deadline: Mapped[date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(default=0)
