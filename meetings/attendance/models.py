"""Participants (thành phần tham dự) of a meeting, their roles and their answers to the invitation."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.accounts.models import User
from edoc.core.db import UTCDateTime, db, utcnow
from edoc.organisations.models import Unit
from meetings.meeting.models import Meeting


class ParticipantRole(enum.StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    MEMBER = "member"
    """Thành viên: votes."""
    GUEST = "guest"
    """Khách mời: attends, does not vote."""


ROLE_LABELS = {ParticipantRole.CHAIR: "Chủ trì", ParticipantRole.SECRETARY: "Thư ký",
               ParticipantRole.MEMBER: "Thành viên", ParticipantRole.GUEST: "Khách mời"}


class Answer(enum.StrEnum):
    PENDING = "pending"
    ATTEND = "attend"
    ATTEND_ONLINE = "attend_online"
    ABSENT = "absent"
    """Cannot attend; ``answer_reason`` says why (required)."""
    DEPUTY = "deputy"
    """Sends a deputy (cử người dự thay), who needs the chair's consent."""


ANSWER_LABELS = {Answer.PENDING: "Chưa trả lời", Answer.ATTEND: "Sẽ tham dự", Answer.ATTEND_ONLINE: "Dự trực tuyến",
                 Answer.ABSENT: "Vắng mặt", Answer.DEPUTY: "Cử người dự thay"}


class Participant(db.Model):
    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    """An edoc user (of this or another organisation on the installation); None for an outside guest."""
    guest_name: Mapped[str | None] = mapped_column(String(255))
    guest_organisation: Mapped[str | None] = mapped_column(String(255))
    guest_email: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=ParticipantRole.MEMBER.value)
    votes: Mapped[bool] = mapped_column(default=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    """The unit through which they were invited (a whole unit invited), for the Nơi nhận and the lists."""
    deputy_for_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id"))
    """The member this person attends for."""
    deputy_approved: Mapped[bool | None]
    """The chair's consent to the deputy: None while asked, then True or False."""
    answer: Mapped[str] = mapped_column(String(16), default=Answer.PENDING.value)
    answer_reason: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    meeting: Mapped[Meeting] = relationship()
    user: Mapped[User | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    deputy_for: Mapped[Participant | None] = relationship(remote_side=[id])

    @property
    def name(self) -> str:
        return self.user.full_name if self.user is not None else (self.guest_name or "")

    @property
    def affiliation(self) -> str:
        """Their organisation (and unit) as shown in lists."""
        if self.user is None:
            return self.guest_organisation or ""
        unit = self.user.unit.name if self.user.unit else ""
        org = self.user.organisation.name
        return f"{unit}, {org}" if unit else org

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[ParticipantRole(self.role)]

    @property
    def answer_label(self) -> str:
        return ANSWER_LABELS[Answer(self.answer)]

    @property
    def is_guest(self) -> bool:
        return self.user_id is None
