"""Outgoing document, its versions, review comments, attachments, recipients and per-person deliveries."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.accounts.models import User
from edoc.contacts.models import Contact
from edoc.core.db import UTCDateTime, db, utcnow
from edoc.files.models import StoredFile
from edoc.organisations.models import Organisation, Unit
from edoc.registers.models import Register


class Status(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    ISSUED = "issued"
    RECALLED = "recalled"
    REPLACED = "replaced"


STATUS_LABELS = {
    Status.DRAFT: "Dự thảo", Status.SUBMITTED: "Chờ duyệt", Status.RETURNED: "Bị trả lại",
    Status.APPROVED: "Đã duyệt, chờ ban hành", Status.ISSUED: "Đã ban hành", Status.RECALLED: "Đã thu hồi",
    Status.REPLACED: "Đã bị thay thế",
}


class Secrecy(enum.StrEnum):
    NONE = ""
    MAT = "Mật"
    TOI_MAT = "Tối mật"
    TUYET_MAT = "Tuyệt mật"


class Urgency(enum.StrEnum):
    NONE = ""
    KHAN = "Khẩn"
    THUONG_KHAN = "Thượng khẩn"
    HOA_TOC = "Hỏa tốc"


class Authority(enum.StrEnum):
    """Thẩm quyền ký: the prefix of the signer block."""

    NONE = ""
    TM = "TM."
    KT = "KT."
    TL = "TL."
    TUQ = "TUQ."
    Q = "Q."


class RecipientPurpose(enum.StrEnum):
    ACT = "act"
    """Kính gửi / để thực hiện."""
    INFO = "info"
    """Để biết, để báo cáo, để giám sát."""
    ARCHIVE = "archive"
    """Lưu: VT, đơn vị soạn thảo."""


class RecipientKind(enum.StrEnum):
    UNIT = "unit"
    USER = "user"
    EXTERNAL = "external"


class OutgoingDocument(db.Model):
    __tablename__ = "outgoing_document"
    __table_args__ = (
        UniqueConstraint("register_id", "year", "number"),
        Index("ix_outgoing_document_org_status", "organisation_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[str] = mapped_column(String(16), default=Status.DRAFT.value)
    type_code: Mapped[str] = mapped_column(String(8))
    summary: Mapped[str] = mapped_column(Text)
    """Trích yếu nội dung."""
    body: Mapped[str] = mapped_column(Text, default="")
    """Structured text typed in the page (blank-line separated paragraphs, headings, "- " items)."""
    secrecy: Mapped[str] = mapped_column(String(16), default="")
    urgency: Mapped[str] = mapped_column(String(16), default="")
    drafting_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    drafter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    signer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    signer_authority: Mapped[str] = mapped_column(String(8), default="")
    signer_authority_line: Mapped[str] = mapped_column(String(255), default="")
    """What follows TM./KT./...: "BAN THƯỜNG VỤ" (TM.), "CHỦ TỊCH" (KT.), "CHÁNH VĂN PHÒNG" (TL.)."""
    signer_title: Mapped[str] = mapped_column(String(255), default="")
    """The signer's own title as printed: "CHỦ TỊCH", "PHÓ CHỦ TỊCH"."""
    kinh_gui: Mapped[str] = mapped_column(Text, default="")
    """Extra Kính gửi lines typed by hand (one per line), besides recipients marked to act."""
    register_id: Mapped[int | None] = mapped_column(ForeignKey("register.id"))
    year: Mapped[int | None]
    number: Mapped[int | None]
    notation: Mapped[str] = mapped_column(String(64), default="")
    """Ký hiệu without the number, e.g. KH-LĐLĐ."""
    issued_on: Mapped[date | None] = mapped_column(Date)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    copies: Mapped[int] = mapped_column(default=1)
    """Số lượng bản (register column 7)."""
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_document.id"))
    copy_of_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_document.id"), index=True)
    """A copy (bản sao y, trích sao, sao lục: type SY, TrS, SL) of this issued document, numbered in the copies
    register."""
    recall_reason: Mapped[str] = mapped_column(Text, default="")
    return_reason: Mapped[str] = mapped_column(Text, default="")
    issued_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    signed_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    """The approved version's PDF with the signer's digital signature (before the number is filled in)."""
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paper_scan_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    """A document signed on paper (ký trên giấy): the scan of its signed paper original, as a PDF, which the clerk
    uploads to issue it; with the organisation's signature once issued. None for one signed digitally."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    drafting_unit: Mapped[Unit | None] = relationship()
    drafter: Mapped[User] = relationship(foreign_keys=[drafter_id])
    signer: Mapped[User | None] = relationship(foreign_keys=[signer_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    register: Mapped[Register | None] = relationship()
    issued_file: Mapped[StoredFile | None] = relationship(foreign_keys=[issued_file_id])
    signed_file: Mapped[StoredFile | None] = relationship(foreign_keys=[signed_file_id])
    paper_scan_file: Mapped[StoredFile | None] = relationship(foreign_keys=[paper_scan_file_id])
    replaces: Mapped[OutgoingDocument | None] = relationship(remote_side=[id], foreign_keys=[replaces_id])
    copy_of: Mapped[OutgoingDocument | None] = relationship(remote_side=[id], foreign_keys=[copy_of_id])
    versions: Mapped[list[DocumentVersion]] = relationship(back_populates="document",
                                                           order_by="DocumentVersion.number")
    recipients: Mapped[list[Recipient]] = relationship(back_populates="document", order_by="Recipient.position")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="document", order_by="Attachment.position")
    readers: Mapped[list[NamedReader]] = relationship(back_populates="document")

    @property
    def status_enum(self) -> Status:
        return Status(self.status)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status_enum]

    @property
    def is_secret(self) -> bool:
        return bool(self.secrecy)

    @property
    def signed_on_paper(self) -> bool:
        """Ký trên giấy: issued (or to be issued) from the scan of a paper original the signer signed by hand."""
        return self.signed_file_id is None and self.paper_scan_file_id is not None

    @property
    def signature_label(self) -> str:
        """How it was signed, as pages, registers and the API say it."""
        if self.signed_file_id is not None:
            return "ký số"
        if self.paper_scan_file_id is not None:
            return "ký trên giấy"
        return "chưa ký"

    @property
    def reference(self) -> str:
        """Số, ký hiệu as printed: ``445/KH-LĐLĐ``; before issue only the ký hiệu."""
        if self.number is None:
            return f"…/{self.notation}" if self.notation else "(chưa cấp số)"
        return f"{self.number:02d}/{self.notation}"

    @property
    def current_version(self) -> DocumentVersion | None:
        return self.versions[-1] if self.versions else None


class DocumentVersion(db.Model):
    """A version of the draft: never overwritten; each edit or upload adds one."""

    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("outgoing_document.id"), index=True)
    number: Mapped[int]
    source: Mapped[str] = mapped_column(String(16))
    """structured (typed in the page), docx or pdf (uploaded)."""
    content: Mapped[str] = mapped_column(Text)
    """JSON snapshot of every printed field at this version (type, summary, body, signer, recipients...)."""
    source_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    pdf_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    document: Mapped[OutgoingDocument] = relationship(back_populates="versions")
    created_by: Mapped[User] = relationship()
    source_file: Mapped[StoredFile | None] = relationship(foreign_keys=[source_file_id])
    pdf_file: Mapped[StoredFile | None] = relationship(foreign_keys=[pdf_file_id])


class ReviewComment(db.Model):
    __tablename__ = "review_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("outgoing_document.id"), index=True)
    version_number: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()


class Attachment(db.Model):
    """Phụ lục in a separate file."""

    __tablename__ = "document_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("outgoing_document.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    title: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(default=0)
    issued_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    """A PDF attachment as issued: with the organisation's signature at the top right of its first page."""

    document: Mapped[OutgoingDocument] = relationship(back_populates="attachments")
    file: Mapped[StoredFile] = relationship(foreign_keys=[file_id])
    issued_file: Mapped[StoredFile | None] = relationship(foreign_keys=[issued_file_id])


class NamedReader(db.Model):
    """A person given access by name: reviewers of a draft, and the only readers of a secret document."""

    __tablename__ = "document_reader"
    __table_args__ = (UniqueConstraint("document_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("outgoing_document.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    can_review: Mapped[bool] = mapped_column(default=True)

    document: Mapped[OutgoingDocument] = relationship(back_populates="readers")
    user: Mapped[User] = relationship()


class Recipient(db.Model):
    """One line of Nơi nhận, as data: who, and why (act, information, archive)."""

    __tablename__ = "recipient"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("outgoing_document.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id"))
    label: Mapped[str] = mapped_column(String(255))
    """The text printed in Nơi nhận."""
    dispatch_status: Mapped[str] = mapped_column(String(16), default="")
    """External recipients: pending, sending, sent, failed (e-mail), manual, or cancelled (recalled before it left)."""
    dispatch_note: Mapped[str] = mapped_column(Text, default="")
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recall_notice: Mapped[str] = mapped_column(String(16), default="", server_default="")
    """External recipients of a recalled document: the recall notice's e-mail, pending, sent, failed or manual."""
    dispatch_claim: Mapped[str] = mapped_column(String(128), default="", server_default="")
    """While ``sending``: the claim token of the job attempt sending it (``edoc.documents.dispatch``); an attempt
    that died leaves a token no running job holds, and the next attempt sends again."""

    document: Mapped[OutgoingDocument] = relationship(back_populates="recipients")
    unit: Mapped[Unit | None] = relationship()
    user: Mapped[User | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="recipient")


class Delivery(db.Model):
    """The document reaching one person's inbox, and when they opened it."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("recipient_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("outgoing_document.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    recipient: Mapped[Recipient] = relationship(back_populates="deliveries")
    user: Mapped[User] = relationship()
