"""Agenda items (nội dung, chương trình họp): ordered, with sub-items."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.accounts.models import User
from edoc.core.db import db
from meetings.meeting.models import Meeting


class ItemKind(enum.StrEnum):
    REPORT = "report"
    DISCUSSION = "discussion"
    DECISION = "decision"
    ELECTION = "election"


KIND_LABELS = {ItemKind.REPORT: "Báo cáo", ItemKind.DISCUSSION: "Thảo luận", ItemKind.DECISION: "Biểu quyết",
               ItemKind.ELECTION: "Bầu cử"}


class AgendaItem(db.Model):
    __tablename__ = "agenda_item"
    __table_args__ = (Index("ix_agenda_item_meeting_position", "meeting_id", "parent_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(500))
    presenter_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    planned_minutes: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(16), default=ItemKind.REPORT.value)

    meeting: Mapped[Meeting] = relationship()
    presenter: Mapped[User | None] = relationship()
    parent: Mapped[AgendaItem | None] = relationship(remote_side=[id])

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[ItemKind(self.kind)]
