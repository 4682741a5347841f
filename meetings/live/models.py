"""The live state of a meeting (its sequence counter, the item on screen, the presenter's page) and its event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edoc.core.db import UTCDateTime, db, utcnow


class LiveState(db.Model):
    """One row per meeting that has had a live event. ``seq`` is the number of the last event: it is read and
    bumped under ``SELECT ... FOR UPDATE`` (SQLite's write lock orders writers the same way), so two actions at
    the same instant get two numbers, never the same one, and a number is used only by a committed event."""

    __tablename__ = "meeting_live"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    current_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"))
    presenter_paper_id: Mapped[int | None]
    """The paper the presenter shows (meet-papers' id; no foreign key: their table is theirs to change)."""
    presenter_page: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MeetingEvent(db.Model):
    """What happened, in order. ``data`` is what every page of the meeting is sent: nothing secret goes in it
    (a secret ballot's voter never does)."""

    __tablename__ = "meeting_event"
    __table_args__ = (UniqueConstraint("meeting_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"))
    seq: Mapped[int]
    type: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def payload(self) -> dict[str, Any]:
        return {"meeting_id": self.meeting_id, "seq": self.seq, "type": self.type, "data": self.data,
                "at": self.created_at.isoformat()}
