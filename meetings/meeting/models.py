"""Rooms (phòng họp) and meetings (cuộc họp), the shared contract of every meetings package
(/work/MEETINGS-CONTRACT.md), plus the rows the calendar needs: booking locks, invitations, feed tokens, and the
participants (thành phần tham dự) with their roles and answers: the meeting's policy reads them, so they live
with the meeting (``meetings.attendance`` keeps check-in and the quorum, and imports them from here)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.accounts.models import User
from edoc.core.db import UTCDateTime, db, utcnow
from edoc.organisations.models import Organisation, Unit


class MeetingKind(enum.StrEnum):
    REGULAR = "regular"
    AD_HOC = "ad_hoc"
    CONFERENCE = "conference"
    TRAINING = "training"


KIND_LABELS = {MeetingKind.REGULAR: "Họp thường kỳ", MeetingKind.AD_HOC: "Họp đột xuất",
               MeetingKind.CONFERENCE: "Hội nghị", MeetingKind.TRAINING: "Tập huấn"}


class MeetingMode(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


MODE_LABELS = {MeetingMode.IN_PERSON: "Trực tiếp", MeetingMode.ONLINE: "Trực tuyến",
               MeetingMode.HYBRID: "Trực tiếp kết hợp trực tuyến"}


class MeetingStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    """Sent to the office (văn phòng) for approval before it may be announced."""
    APPROVED = "approved"
    ANNOUNCED = "announced"
    """Its Giấy mời is drafted in the outgoing flow; participants see it."""
    IN_PROGRESS = "in_progress"
    ENDED = "ended"
    CANCELLED = "cancelled"


STATUS_LABELS = {MeetingStatus.DRAFT: "Dự thảo", MeetingStatus.PENDING_APPROVAL: "Chờ văn phòng duyệt",
                 MeetingStatus.APPROVED: "Đã duyệt, chưa thông báo", MeetingStatus.ANNOUNCED: "Đã thông báo",
                 MeetingStatus.IN_PROGRESS: "Đang họp", MeetingStatus.ENDED: "Đã kết thúc",
                 MeetingStatus.CANCELLED: "Đã hủy"}
BOOKING_VALUES = tuple(s.value for s in MeetingStatus if s is not MeetingStatus.CANCELLED)
"""Statuses whose meetings hold their room and their chair: every one but cancelled (a draft books too, so two
secretaries preparing meetings learn of the clash before either announces)."""


class Room(db.Model):
    __tablename__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    capacity: Mapped[int] = mapped_column(default=0)
    equipment: Mapped[str] = mapped_column(Text, default="")
    """Free text, one item a line (màn hình, máy chiếu, hệ thống họp trực tuyến...)."""
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship()

    @property
    def equipment_list(self) -> list[str]:
        return [line.strip() for line in self.equipment.splitlines() if line.strip()]


class Meeting(db.Model):
    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_meeting_org_starts", "organisation_id", "starts_at"),
        Index("ix_meeting_room_starts", "room_id", "starts_at"),
        Index("ix_meeting_chair_starts", "chair_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    title: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16), default=MeetingKind.REGULAR.value)
    mode: Mapped[str] = mapped_column(String(16), default=MeetingMode.IN_PERSON.value)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    location: Mapped[str] = mapped_column(String(255), default="")
    """A place that is not one of the organisation's rooms (another body's hall), printed in the Giấy mời."""
    online_link: Mapped[str | None] = mapped_column(String(1000))
    chair_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    secretary_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(20), default=MeetingStatus.DRAFT.value)
    requires_approval: Mapped[bool] = mapped_column(default=False)
    quorum_rule: Mapped[str] = mapped_column(String(32), default="half_members")
    allow_remote_vote: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)
    """Bumped by every change of the meeting's own fields; a form sends the version it showed, and a change made
    meanwhile by someone else is refused (409) instead of silently overwritten."""
    notes: Mapped[str] = mapped_column(Text, default="")
    """What participants bring or prepare (the Giấy mời's notes)."""
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    room: Mapped[Room | None] = relationship()
    chair: Mapped[User] = relationship(foreign_keys=[chair_id])
    secretary: Mapped[User] = relationship(foreign_keys=[secretary_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    @property
    def status_enum(self) -> MeetingStatus:
        return MeetingStatus(self.status)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status_enum]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[MeetingKind(self.kind)]

    @property
    def mode_label(self) -> str:
        return MODE_LABELS[MeetingMode(self.mode)]

    @property
    def place(self) -> str:
        """Where, as printed: the room, the typed place, and/or the online link."""
        parts = [self.room.name if self.room else self.location]
        if self.mode != MeetingMode.IN_PERSON.value:
            parts.append("trực tuyến" + (f": {self.online_link}" if self.online_link else ""))
        return "; ".join(p for p in parts if p)

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.title!r}>"


class BookingLock(db.Model):
    """One row per room and per person that meetings book, locked (``SELECT ... FOR UPDATE``) by whoever checks
    for a clash and then writes: two secretaries booking the same room at the same instant are served one after
    the other on PostgreSQL, the second seeing the first's meeting (SQLite's write lock already orders them)."""

    __tablename__ = "meeting_booking_lock"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    """``room:<id>`` or ``user:<id>``."""


class Invitation(db.Model):
    """A Giấy mời issued for a meeting: the outgoing document that carries it, and the one it replaces when the
    time or place changed."""

    __tablename__ = "meeting_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("outgoing_document.id"), unique=True)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_invitation.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    """Why a new one was issued (the change of time or place), empty for the first."""
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """The time and place it announced, to tell what changed since."""
    place: Mapped[str] = mapped_column(String(1500), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    meeting: Mapped[Meeting] = relationship()
    replaces: Mapped[Invitation | None] = relationship(remote_side=[id])


class FeedToken(db.Model):
    """A person's secret calendar address (iCalendar): only the token's SHA-256 is kept; a new one revokes it."""

    __tablename__ = "meeting_feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


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
