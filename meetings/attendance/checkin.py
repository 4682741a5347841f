"""Check-in (điểm danh): each participant is present in the room, present online, or absent with a reason;
marked by themselves on the room page, by the QR code at the door (a signed link to the meeting), or by the
secretary (or the chair) for anyone. An approved deputy checks in for the member they replace: the row is the
member's, saying who came. One row per participant, changed in place: the latest word counts, and every change
is in the audit log and the meeting's event log.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import UTCDateTime, commit, db, utcnow
from edoc.core.errors import NotAllowed, NotFound, ValidationFailed
from edoc.core.text import clean, has_control_chars
from meetings.attendance import quorum
from meetings.attendance.models import Participant
from meetings.live.events import publish, register_section
from meetings.meeting import policy
from meetings.meeting.models import Meeting, MeetingStatus


class Presence(enum.StrEnum):
    IN_ROOM = "in_room"
    ONLINE = "online"
    ABSENT = "absent"


PRESENCE_LABELS = {Presence.IN_ROOM: "Có mặt tại phòng họp", Presence.ONLINE: "Dự trực tuyến",
                   Presence.ABSENT: "Vắng mặt"}


class Method(enum.StrEnum):
    SELF = "self"
    QR = "qr"
    SECRETARY = "secretary"
    DEPUTY = "deputy"


MAX_REASON = 500
OPEN_STATUSES = (MeetingStatus.ANNOUNCED, MeetingStatus.IN_PROGRESS)
"""Check-in is open from the announcement (delegates arrive before the chair opens) until the meeting ends."""
_SALT = "meeting-checkin-door"


class CheckIn(db.Model):
    __tablename__ = "meeting_checkin"
    __table_args__ = (UniqueConstraint("meeting_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"))
    """The participant counted: for a deputy's check-in, the member they replace."""
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(16))
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id"))
    """The deputy who came for the member, when one did."""
    by_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def statuses(meeting_id: int) -> dict[int, str]:
    rows = db.session.execute(select(CheckIn.participant_id, CheckIn.status).where(CheckIn.meeting_id == meeting_id))
    return {participant_id: status for participant_id, status in rows}


def quorum_of(meeting: Meeting) -> quorum.Quorum:
    return quorum.compute(meeting.id, meeting.quorum_rule, statuses(meeting.id))


def _participant_in(meeting: Meeting, participant_id: object) -> Participant:
    if isinstance(participant_id, bool) or not isinstance(participant_id, int):
        raise ValidationFailed("Đại biểu không hợp lệ.", field="participant_id")
    p = db.session.get(Participant, participant_id)
    if p is None or p.meeting_id != meeting.id:
        raise NotFound("Không tìm thấy đại biểu trong cuộc họp này.")
    return p


def _status(value: object) -> Presence:
    try:
        return Presence(value)  # type: ignore[arg-type]
    except ValueError:
        raise ValidationFailed("Trạng thái điểm danh không hợp lệ (có mặt, trực tuyến hoặc vắng mặt).",
                               field="status") from None


def _reason(status: Presence, value: object) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed("Lý do vắng mặt không hợp lệ.", field="reason")
    text = clean(value)
    if status is Presence.ABSENT and not text:
        raise ValidationFailed("Nhập lý do vắng mặt.", field="reason")
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"Lý do vắng mặt dài quá {MAX_REASON} ký tự.", field="reason")
    if has_control_chars(text):
        raise ValidationFailed("Lý do vắng mặt chứa ký tự điều khiển.", field="reason")
    return text if status is Presence.ABSENT else ""


def _open(meeting: Meeting) -> None:
    if meeting.status_enum not in OPEN_STATUSES:
        raise NotAllowed("Chỉ điểm danh được khi cuộc họp đã thông báo và chưa kết thúc.")


def _counted(person: Participant) -> tuple[Participant, Participant | None]:
    """Whose row a person's own check-in writes: theirs, or (an approved deputy) the member's."""
    if person.deputy_for_id is None:
        return person, None
    if not person.deputy_approved:
        raise NotAllowed("Chủ trì chưa đồng ý cho bạn dự thay nên chưa điểm danh được.")
    member = db.session.get(Participant, person.deputy_for_id)
    assert member is not None
    return member, person


def check_in(actor: User, meeting: Meeting, *, status: object, reason: object = "",
             participant_id: object = None, method: str = Method.SELF) -> CheckIn:
    """Mark a participant's presence. Without ``participant_id``: the actor themselves (or, for a deputy, the
    member they replace). With it: the secretary or the chair marking someone."""
    _open(meeting)
    presence = _status(status)
    why = _reason(presence, reason)
    deputy: Participant | None = None
    if participant_id is None:
        me = policy.participant_of(actor, meeting)
        if me is None:
            raise NotAllowed("Bạn không có trong thành phần cuộc họp này.")
        counted, deputy = _counted(me)
        how = Method.DEPUTY if deputy is not None else Method(method)
    else:
        policy.require(policy.can_chair(actor, meeting), "Chỉ thư ký hoặc chủ trì được điểm danh cho người khác.")
        counted = _participant_in(meeting, participant_id)
        if counted.deputy_for_id is not None:
            counted, deputy = _counted(counted)
        how = Method.SECRETARY
    row = db.session.execute(select(CheckIn).where(CheckIn.meeting_id == meeting.id,
                                                   CheckIn.participant_id == counted.id)).scalar_one_or_none()
    if row is None:
        row = CheckIn(meeting_id=meeting.id, participant_id=counted.id)
        db.session.add(row)
    row.status, row.reason, row.method = presence.value, why, how.value
    row.deputy_id = deputy.id if deputy is not None else None
    row.by_user_id, row.at = actor.id, utcnow()
    db.session.flush()
    record("meeting.checkin", meeting, actor=actor, changes={
        "participant_id": counted.id, "status": presence.value, "reason": why, "method": how.value,
        "deputy_id": row.deputy_id})
    publish(meeting.id, "checkin.changed", {"participant": participant_json(counted, row),
                                            "quorum": quorum_of(meeting).as_dict()}, actor=actor)
    commit()
    return row


# --- the door's QR code ---------------------------------------------------------------------------------------

def door_token(meeting: Meeting) -> str:
    """The token of the QR code printed at the meeting room's door: the meeting's id, signed with the app's key.
    It checks in whoever opens it signed in as a participant, as present in the room."""
    return str(URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).dumps({"m": meeting.id}))


def meeting_of_token(token: str) -> int:
    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).loads(token)
    except BadSignature:
        raise NotFound("Mã QR điểm danh không hợp lệ.") from None
    if not isinstance(data, dict) or not isinstance(data.get("m"), int):
        raise NotFound("Mã QR điểm danh không hợp lệ.")
    return int(data["m"])


def check_in_at_door(actor: User, meeting_id: int, token: str) -> tuple[Meeting, CheckIn]:
    if meeting_of_token(token) != meeting_id:
        raise NotFound("Mã QR điểm danh không thuộc cuộc họp này.")
    meeting = policy.get_meeting_for(actor, meeting_id)
    return meeting, check_in(actor, meeting, status=Presence.IN_ROOM, method=Method.QR)


# --- what pages show ------------------------------------------------------------------------------------------

def participant_json(p: Participant, row: CheckIn | None) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "role": p.role, "votes": p.votes, "guest": p.is_guest,
            "status": row.status if row else None, "reason": row.reason if row else "",
            "method": row.method if row else None, "deputy_id": row.deputy_id if row else None}


def attendance_json(meeting_id: int, user: User) -> dict[str, Any]:
    meeting = db.session.get(Meeting, meeting_id)
    assert meeting is not None
    rows = {r.participant_id: r for r in db.session.execute(
        select(CheckIn).where(CheckIn.meeting_id == meeting_id)).scalars()}
    people = db.session.execute(select(Participant).where(Participant.meeting_id == meeting_id)
                                .order_by(Participant.id)).scalars().all()
    me = policy.participant_of(user, meeting)
    return {"participants": [participant_json(p, rows.get(p.id)) for p in people if p.deputy_for_id is None],
            "deputies": {p.deputy_for_id: p.name for p in people if p.deputy_for_id and p.deputy_approved},
            "me": me.id if me else None, "counted_as": (me.deputy_for_id or me.id) if me else None,
            "quorum": quorum.compute(meeting_id, meeting.quorum_rule, {k: r.status for k, r in rows.items()})
            .as_dict()}


register_section("attendance", attendance_json)
