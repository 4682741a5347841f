"""The minutes of a meeting (biên bản) and what hangs on them: the text the secretary writes per agenda item and the
conclusion entered for it, corrections of recorded facts, absent members' written opinions, the conclusion notice
(thông báo kết luận) and the link from a conclusion's task to the document that answered it.

The Biên bản and the Thông báo kết luận themselves are outgoing documents (``edoc.documents``): drafted, signed,
numbered and issued through the same flow as any other."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.accounts.models import User
from edoc.core.db import UTCDateTime, db, utcnow
from edoc.documents.models import OutgoingDocument
from meetings.agenda.models import AgendaItem
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting

NOTICE_WORKING_DAYS = 5
"""Quyết định 45/2018/QĐ-TTg: the conclusion notice is issued within 5 working days of the meeting."""


class Minutes(db.Model):
    __tablename__ = "meeting_minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), unique=True)
    opening: Mapped[str] = mapped_column(Text, default="")
    """The secretary's words before the first item (free text)."""
    closing: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """When the meeting ended, as recorded when the minutes were first drafted."""
    document_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_document.id"))
    """The Biên bản (type BB)."""
    record_sha256: Mapped[str] = mapped_column(String(64), default="")
    """SHA-256 of the record embedded in the Biên bản's current version."""
    secretary_version_id: Mapped[int | None] = mapped_column(ForeignKey("document_version.id"))
    """The version of the Biên bản that carries the secretary's signature (None until signed; a later version,
    a new edit, has none and needs signing again)."""
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_document.id"))
    """The Thông báo kết luận (type TB)."""
    notice_due_on: Mapped[date] = mapped_column(Date)
    """The last day to issue the notice: ``NOTICE_WORKING_DAYS`` working days after the meeting's day."""
    notice_reminded_on: Mapped[date | None] = mapped_column(Date)
    """The last day the leader was reminded of the notice (once a day at most)."""
    record_check: Mapped[str] = mapped_column(Text, default="")
    """After issue: what ``signing.record.check_record`` found in the issued PDF ("" until issued; "ok")."""
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    meeting: Mapped[Meeting] = relationship()
    document: Mapped[OutgoingDocument | None] = relationship(foreign_keys=[document_id])
    notice: Mapped[OutgoingDocument | None] = relationship(foreign_keys=[notice_id])


class ItemMinutes(db.Model):
    """What the minutes say of one agenda item beyond the recorded facts: the discussion as the secretary wrote it
    and the conclusion the chair or secretary entered; tasks are given from the conclusion."""

    __tablename__ = "meeting_item_minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"), unique=True)
    proceedings: Mapped[str] = mapped_column(Text, default="")
    conclusion: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    agenda_item: Mapped[AgendaItem] = relationship()


class FactCorrection(db.Model):
    """A recorded fact changed in the minutes, never silently: the value first recorded, the new one, why, who."""

    __tablename__ = "meeting_fact_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    target: Mapped[str] = mapped_column(String(255))
    """``person:p<participant id>:status`` / ``:reason``, or ``vote:<number>:<option label>``."""
    recorded: Mapped[str] = mapped_column(Text)
    corrected: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    by: Mapped[User] = relationship()


class WrittenOpinion(db.Model):
    """An absent member's written opinion on an agenda item, sent before the meeting: shown to the chair, recorded
    in the minutes."""

    __tablename__ = "meeting_written_opinion"
    __table_args__ = (UniqueConstraint("agenda_item_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    participant: Mapped[Participant] = relationship()
    agenda_item: Mapped[AgendaItem] = relationship()


class TaskAnswer(db.Model):
    """A conclusion's task closed by an outgoing document (the report, the plan it asked for)."""

    __tablename__ = "meeting_task_answer"

    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("outgoing_document.id"), index=True)
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    document: Mapped[OutgoingDocument] = relationship()
