"""One row per request to speak; the row becomes the record of the speech once the chair gives the floor."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.db import UTCDateTime, db, utcnow


class Kind(enum.StrEnum):
    SPEAK = "speak"
    ORDER = "order"
    """Kiến nghị thủ tục (point of order): goes before the ordinary requests."""


class Status(enum.StrEnum):
    WAITING = "waiting"
    SPEAKING = "speaking"
    DONE = "done"
    WITHDRAWN = "withdrawn"


class SpeakerRequest(db.Model):
    __tablename__ = "meeting_speaker"
    __table_args__ = (Index("ix_meeting_speaker_meeting_status", "meeting_id", "status", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"))
    """The agenda item on screen when asked: what the speech was on."""
    kind: Mapped[str] = mapped_column(String(8), default=Kind.SPEAK.value)
    status: Mapped[str] = mapped_column(String(10), default=Status.WAITING.value)
    position: Mapped[int] = mapped_column(default=0)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seconds: Mapped[int | None]
    """How long they spoke, once done."""
