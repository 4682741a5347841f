"""Papers of a meeting (tài liệu họp): attached to an agenda item, each with its versions, its restricted readers,
the comments on a draft, and every delivery of its file. The release time of a meeting's papers and the
reminders before its start live here too: both belong to getting the papers to people before the meeting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.accounts.models import User
from edoc.core.db import UTCDateTime, db, utcnow
from edoc.files.models import StoredFile

SOURCE_UPLOAD = "upload"
SOURCE_OUTGOING = "outgoing"
SOURCE_INCOMING = "incoming"
SOURCES = (SOURCE_UPLOAD, SOURCE_OUTGOING, SOURCE_INCOMING)
SOURCE_LABELS = {SOURCE_UPLOAD: "Tệp tải lên", SOURCE_OUTGOING: "Văn bản đi", SOURCE_INCOMING: "Văn bản đến"}
FILE_PURPOSE = "meeting-paper"
"""StoredFile.purpose of uploaded papers: read only through the meeting's gate, never by role (see policy)."""


class Paper(db.Model):
    """One paper of an agenda item: an uploaded file, or a document already in edoc (outgoing or incoming)."""

    __tablename__ = "meeting_paper"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(16))
    outgoing_document_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_document.id"))
    incoming_document_id: Mapped[int | None] = mapped_column(ForeignKey("incoming_document.id"))
    draft: Mapped[bool] = mapped_column(default=False)
    """Dự thảo: open to participants' comments, tied to the version and page."""
    restricted: Mapped[bool] = mapped_column(default=False)
    """Only the participants listed in ``meeting_paper_reader`` (and the meeting's managers) read it."""
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    versions: Mapped[list[PaperVersion]] = relationship(back_populates="paper", order_by="PaperVersion.number",
                                                        cascade="all, delete-orphan")
    readers: Mapped[list[PaperReader]] = relationship(cascade="all, delete-orphan")

    @property
    def current(self) -> PaperVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)


class PaperVersion(db.Model):
    """A version of a paper's PDF, never overwritten: a comment stays tied to the version it was made on."""

    __tablename__ = "meeting_paper_version"
    __table_args__ = (UniqueConstraint("paper_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("meeting_paper.id"), index=True)
    number: Mapped[int]
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    """The PDF readers get (LibreOffice's for a DOCX, the document's own file for a linked document)."""
    source_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    """The DOCX it was converted from, kept for the secretary."""
    signed: Mapped[bool] = mapped_column(default=False)
    """The PDF carries digital signatures: delivered intact (a watermark would break them), its downloads recorded."""
    pages: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    paper: Mapped[Paper] = relationship(back_populates="versions")
    file: Mapped[StoredFile] = relationship(foreign_keys=[file_id])
    source_file: Mapped[StoredFile | None] = relationship(foreign_keys=[source_file_id])


class PaperReader(db.Model):
    """A participant allowed to read a restricted paper."""

    __tablename__ = "meeting_paper_reader"
    __table_args__ = (UniqueConstraint("paper_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("meeting_paper.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)


class PaperComment(db.Model):
    """A comment on a draft paper, on one page of one version; seen by its author, the secretary (the meeting's
    managers) and the presenter of the paper's item."""

    __tablename__ = "meeting_paper_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("meeting_paper.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("meeting_paper_version.id"), index=True)
    page: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()
    version: Mapped[PaperVersion] = relationship()


class PaperDelivery(db.Model):
    """A paper's file handed to someone (download or in-browser reading): who, which version, whether it was
    watermarked with their name (unsigned) or delivered intact (signed)."""

    __tablename__ = "meeting_paper_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("meeting_paper.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("meeting_paper_version.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    watermarked: Mapped[bool]
    inline: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


class PaperRelease(db.Model):
    """When a meeting's papers reach its participants (before it, only the managers and presenters see them)."""

    __tablename__ = "meeting_paper_release"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), primary_key=True)
    release_at: Mapped[datetime] = mapped_column(UTCDateTime())
    set_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reminder(db.Model):
    """A reminder set ``minutes_before`` the meeting's start, sent by e-mail and in the app."""

    __tablename__ = "meeting_reminder"
    __table_args__ = (UniqueConstraint("meeting_id", "minutes_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    minutes_before: Mapped[int]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReminderSent(db.Model):
    """A reminder handled for one participant: at most one row, so a job run twice reminds nobody twice.
    ``skipped``: a reminder whose time passed while a later one was also due (only the latest is sent)."""

    __tablename__ = "meeting_reminder_sent"
    __table_args__ = (UniqueConstraint("reminder_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("meeting_reminder.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    skipped: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
