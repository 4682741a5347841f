from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.db import UTCDateTime, db, utcnow


class Note(db.Model):
    """One note per person and meeting."""

    __tablename__ = "meeting_note"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PaperAnnotation(db.Model):
    """A delegate's own marks on one page of one version of a meeting paper (chú thích riêng): strokes,
    highlights and pinned notes, as the JSON ``meetings.notes.annotations`` validated (coordinates as fractions of
    the page). Kept beside the file, never written into it: the shared PDF stays byte for byte what was released."""

    __tablename__ = "meeting_paper_annotation"
    __table_args__ = (UniqueConstraint("user_id", "version_id", "page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("meeting_paper_version.id"))
    page: Mapped[int]
    data: Mapped[str] = mapped_column(Text)
    """Canonical JSON of the validated items (re-serialised, never the bytes the browser sent)."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
