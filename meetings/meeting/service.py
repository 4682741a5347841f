"""Meetings, one service function per change of state: create, change (time, place, chair...), submit for
approval, approve, cancel; rooms; and the lists the calendar reads.

Each function validates, authorises, writes, appends its audit entry and commits (``edoc.core.db.commit``); views
and API routes only parse and render. A room or a chair booked twice at overlapping times is refused with the
clash named; the check and the write happen under the booking locks (``BookingLock``), so two secretaries
booking the same room at the same instant get one meeting and one refusal, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.clock import VIETNAM, vietnam_time
from edoc.core.db import commit, db, insert_ignore, utcnow
from edoc.core.errors import Conflict, NotFound, ValidationFailed
from edoc.core.text import clean, has_control_chars
from meetings.meeting import policy
from meetings.meeting.models import (
    BOOKING_VALUES,
    Answer,
    BookingLock,
    FeedToken,
    Meeting,
    MeetingKind,
    MeetingMode,
    MeetingStatus,
    Participant,
    ParticipantRole,
    Room,
)
from meetings.meeting.quorum import QUORUM_LABELS

MAX_TITLE = 500
MAX_NOTES = 5000
MAX_HOURS = 24 * 7
"""A meeting longer than a week (a conference of several days is fine) is a typing mistake."""
EDITABLE = (MeetingStatus.DRAFT, MeetingStatus.PENDING_APPROVAL, MeetingStatus.APPROVED, MeetingStatus.ANNOUNCED)


@dataclass
class MeetingData:
    """What the secretary enters; times are timezone-aware (a form's Vietnam time, converted by ``vietnam_moment``)."""

    title: str = ""
    kind: str = MeetingKind.REGULAR.value
    mode: str = MeetingMode.IN_PERSON.value
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    room_id: int | None = None
    location: str = ""
    online_link: str = ""
    chair_id: int | None = None
    secretary_id: int | None = None
    requires_approval: bool = False
    quorum_rule: str = "half_members"
    allow_remote_vote: bool = True
    notes: str = ""


def vietnam_moment(day: date, hour: int, minute: int) -> datetime:
    """A day and a time read on the Vietnam clock, as a UTC moment."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VIETNAM).astimezone(UTC)


def text_field(value: str, field: str, label: str, limit: int, *, required: bool = False,
               multiline: bool = True) -> str:
    """A typed text, cleaned (NFC, trimmed), or a ValidationFailed on ``field`` naming ``label``: missing when
    ``required``, over ``limit`` characters, or holding control characters (line breaks and tabs allowed only
    when ``multiline``)."""
    value = clean(value)
    if required and not value:
        raise ValidationFailed(f"Nhập {label}.", field=field)
    if len(value) > limit:
        raise ValidationFailed(f"{label[0].upper()}{label[1:]} dài quá {limit} ký tự.", field=field)
    checked = value.replace("\n", "").replace("\r", "").replace("\t", "") if multiline else value
    if has_control_chars(checked):
        raise ValidationFailed(f"{label[0].upper()}{label[1:]} chứa ký tự điều khiển.", field=field)
    return value


def _person(organisation_id: int, user_id: int | None, field: str, label: str) -> User:
    if user_id is None:
        raise ValidationFailed(f"Chọn {label}.", field=field)
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != organisation_id or not user.active:
        raise ValidationFailed(f"{label[0].upper()}{label[1:]} phải là người đang làm việc trong cơ quan.",
                               field=field)
    return user


def validate(actor: User, organisation_id: int, data: MeetingData) -> MeetingData:
    """Everything checked before anything is written; returns the cleaned data."""
    title = text_field(data.title, "title", "tên cuộc họp", MAX_TITLE, required=True)
    if data.kind not in {k.value for k in MeetingKind}:
        raise ValidationFailed("Loại cuộc họp không hợp lệ.", field="kind")
    if data.mode not in {m.value for m in MeetingMode}:
        raise ValidationFailed("Hình thức họp không hợp lệ.", field="mode")
    if data.starts_at is None or data.ends_at is None:
        raise ValidationFailed("Nhập thời gian bắt đầu và kết thúc.", field="starts_at")
    if data.starts_at.tzinfo is None or data.ends_at.tzinfo is None:
        raise ValidationFailed("Thời gian phải có múi giờ.", field="starts_at")
    starts, ends = data.starts_at.astimezone(UTC), data.ends_at.astimezone(UTC)
    if ends <= starts:
        raise ValidationFailed(
            f"Thời gian kết thúc ({vietnam_time(ends):%H:%M %d/%m/%Y}) phải sau thời gian bắt đầu "
            f"({vietnam_time(starts):%H:%M %d/%m/%Y}).", field="ends_at")
    if ends - starts > timedelta(hours=MAX_HOURS):
        raise ValidationFailed("Một cuộc họp không kéo dài quá 7 ngày.", field="ends_at")
    location = text_field(data.location, "location", "địa điểm", 255)
    link = text_field(data.online_link, "online_link", "đường dẫn họp trực tuyến", 1000)
    room_id = data.room_id
    if data.mode == MeetingMode.ONLINE.value:
        room_id, location = None, ""
    else:
        if room_id is None and not location:
            raise ValidationFailed("Chọn phòng họp hoặc nhập địa điểm.", field="room_id")
        if room_id is not None:
            room = db.session.get(Room, room_id)
            if room is None or room.organisation_id != organisation_id or not room.active:
                raise ValidationFailed("Phòng họp không thuộc cơ quan hoặc đã ngừng sử dụng.", field="room_id")
            location = ""
    if data.mode == MeetingMode.IN_PERSON.value:
        link = ""
    elif link:
        parts = urlsplit(link)
        if parts.scheme not in {"http", "https"} or not parts.netloc or " " in link:
            raise ValidationFailed("Đường dẫn họp trực tuyến phải bắt đầu bằng https:// hoặc http://.",
                                   field="online_link")
    elif data.mode == MeetingMode.ONLINE.value:
        raise ValidationFailed("Họp trực tuyến cần đường dẫn phòng họp trực tuyến.", field="online_link")
    chair = _person(organisation_id, data.chair_id, "chair_id", "người chủ trì")
    secretary = _person(organisation_id, data.secretary_id, "secretary_id", "thư ký cuộc họp")
    if data.quorum_rule not in QUORUM_LABELS:
        raise ValidationFailed("Quy tắc túc số không hợp lệ.", field="quorum_rule")
    notes = text_field(data.notes, "notes", "ghi chú", MAX_NOTES)
    return replace(data, title=title, starts_at=starts, ends_at=ends, room_id=room_id, location=location,
                   online_link=link, chair_id=chair.id, secretary_id=secretary.id, notes=notes)


# --- bookings --------------------------------------------------------------------------------------------


def _lock(keys: Iterable[str]) -> None:
    """Take the booking locks in a fixed order (no two writers wait on each other in opposite orders)."""
    for key in sorted(set(keys)):
        insert_ignore(BookingLock, {"key": key}, conflict_columns=["key"])
        db.session.execute(select(BookingLock).where(BookingLock.key == key).with_for_update()).scalar_one()


def overlapping(starts_at: datetime, ends_at: datetime, *, room_id: int | None = None, chair_id: int | None = None,
                exclude_id: int | None = None) -> list[Meeting]:
    """Meetings that hold the room or the chair during [starts_at, ends_at): touching ends do not overlap."""
    holders = []
    if room_id is not None:
        holders.append(Meeting.room_id == room_id)
    if chair_id is not None:
        holders.append(Meeting.chair_id == chair_id)
    if not holders:
        return []
    query = select(Meeting).where(or_(*holders), Meeting.status.in_(BOOKING_VALUES),
                                  and_(Meeting.starts_at < ends_at, Meeting.ends_at > starts_at))
    if exclude_id is not None:
        query = query.where(Meeting.id != exclude_id)
    return list(db.session.execute(query.order_by(Meeting.starts_at)).scalars())


def _when(m: Meeting) -> str:
    start, end = vietnam_time(m.starts_at), vietnam_time(m.ends_at)
    if start.date() == end.date():
        return f"từ {start:%H:%M} đến {end:%H:%M} ngày {start:%d/%m/%Y}"
    return f"từ {start:%H:%M %d/%m/%Y} đến {end:%H:%M %d/%m/%Y}"


class BookingClash(Conflict):
    """The room or the chair is taken: the message names the meeting in the way (its title only for those who
    may see it) and when."""

    code = "booking_clash"

    def __init__(self, actor: User, data: MeetingData, clash: Meeting) -> None:
        what = f"cuộc họp “{clash.title}”" if policy.can_view_meeting(actor, clash) else "một cuộc họp khác"
        if data.room_id is not None and clash.room_id == data.room_id:
            room = clash.room.name if clash.room else ""
            message = f"Phòng họp “{room}” đã được đặt cho {what} {_when(clash)}. Chọn phòng hoặc giờ khác."
            field = "room_id"
        else:
            message = (f"Người chủ trì {clash.chair.full_name} đã chủ trì {what} {_when(clash)}. "
                       f"Chọn người chủ trì hoặc giờ khác.")
            field = "starts_at"
        super().__init__(message, field=field)
        self.clash_id = clash.id
        self.clash_when = _when(clash)


def _book(actor: User, data: MeetingData, *, exclude_id: int | None = None) -> None:
    """Under the locks of the room and the chair, refuse a clash. The locks are held to the transaction's end, so
    the caller's insert or update is what the next writer's check sees."""
    assert data.starts_at is not None and data.ends_at is not None
    keys = [f"user:{data.chair_id}"] + ([f"room:{data.room_id}"] if data.room_id is not None else [])
    _lock(keys)
    clashes = overlapping(data.starts_at, data.ends_at, room_id=data.room_id, chair_id=data.chair_id,
                          exclude_id=exclude_id)
    if clashes:
        raise BookingClash(actor, data, clashes[0])


# --- meetings --------------------------------------------------------------------------------------------


def _snapshot(m: Meeting) -> dict[str, object]:
    return {"title": m.title, "kind": m.kind, "mode": m.mode, "starts_at": m.starts_at.isoformat(),
            "ends_at": m.ends_at.isoformat(), "room_id": m.room_id, "location": m.location,
            "online_link": m.online_link, "chair_id": m.chair_id, "secretary_id": m.secretary_id,
            "status": m.status, "requires_approval": m.requires_approval}


def _apply(m: Meeting, data: MeetingData) -> None:
    assert data.starts_at is not None and data.ends_at is not None
    assert data.chair_id is not None and data.secretary_id is not None
    m.title, m.kind, m.mode = data.title, data.kind, data.mode
    m.starts_at, m.ends_at = data.starts_at, data.ends_at
    m.room_id, m.location, m.online_link = data.room_id, data.location, data.online_link or None
    m.chair_id, m.secretary_id = data.chair_id, data.secretary_id
    # the relationships too, so what is printed next (the place, the chair) is the new one before any flush
    m.room = db.session.get(Room, data.room_id) if data.room_id is not None else None
    m.chair, m.secretary = db.session.get(User, data.chair_id), db.session.get(User, data.secretary_id)
    m.requires_approval, m.quorum_rule = data.requires_approval, data.quorum_rule
    m.allow_remote_vote, m.notes = data.allow_remote_vote, data.notes


def _seat(m: Meeting, user_id: int, role: ParticipantRole) -> None:
    """The chair and the secretary are participants in their role (the chair votes, the secretary does not); a
    person who held the role before becomes a member."""
    for p in db.session.execute(select(Participant).where(Participant.meeting_id == m.id,
                                                          Participant.role == role.value)).scalars():
        if p.user_id != user_id:
            p.role, p.votes = ParticipantRole.MEMBER.value, True
    existing = db.session.execute(select(Participant).where(Participant.meeting_id == m.id,
                                                            Participant.user_id == user_id)).scalar_one_or_none()
    votes = role is ParticipantRole.CHAIR
    # they convene it: attending is theirs by office, not an answer to an invitation they do not receive
    if existing is None:
        db.session.add(Participant(meeting_id=m.id, user_id=user_id, role=role.value, votes=votes,
                                   answer=Answer.ATTEND.value))
    else:
        existing.role, existing.votes, existing.answer = role.value, votes, Answer.ATTEND.value
    db.session.flush()


def create_meeting(actor: User, data: MeetingData) -> Meeting:
    policy.require(policy.can_create_meeting(actor),
                   "Chỉ thư ký họp, lãnh đạo, văn thư hoặc quản trị được tạo cuộc họp.")
    data = validate(actor, actor.organisation_id, data)
    _book(actor, data)
    meeting = Meeting(organisation_id=actor.organisation_id, created_by_id=actor.id,
                      status=MeetingStatus.DRAFT.value, version=1)
    _apply(meeting, data)
    db.session.add(meeting)
    db.session.flush()
    assert data.chair_id is not None and data.secretary_id is not None
    _seat(meeting, data.secretary_id, ParticipantRole.SECRETARY)
    _seat(meeting, data.chair_id, ParticipantRole.CHAIR)
    record("meeting.create", meeting, actor=actor, changes=_snapshot(meeting))
    commit()
    return meeting


def check_version(meeting: Meeting, expected: int | None) -> None:
    if expected is not None and expected != meeting.version:
        raise Conflict("Cuộc họp vừa được người khác thay đổi. Tải lại trang để xem thông tin mới rồi sửa lại.",
                       field="version")


def update_meeting(actor: User, meeting: Meeting, data: MeetingData, *, expected_version: int | None) -> Meeting:
    """Change a meeting not yet announced (``meetings.meeting.invitations.update`` changes an announced one with
    its new Giấy mời in the same transaction)."""
    apply_update(actor, meeting, data, expected_version=expected_version)
    commit()
    return meeting


def apply_update(actor: User, meeting: Meeting, data: MeetingData, *, expected_version: int | None) -> Meeting:
    """The change, in the caller's transaction (which commits): refused once the meeting has started."""
    policy.require(policy.can_manage_meeting(actor, meeting))
    if meeting.status_enum not in EDITABLE or (meeting.status_enum is not MeetingStatus.DRAFT
                                               and meeting.starts_at <= utcnow()):
        raise Conflict("Cuộc họp đã bắt đầu, kết thúc hoặc đã hủy: không sửa được nữa.")
    check_version(meeting, expected_version)
    data = validate(actor, meeting.organisation_id, data)
    _book(actor, data, exclude_id=meeting.id)
    before = _snapshot(meeting)
    _apply(meeting, data)
    meeting.version += 1
    assert data.chair_id is not None and data.secretary_id is not None
    _seat(meeting, data.secretary_id, ParticipantRole.SECRETARY)
    _seat(meeting, data.chair_id, ParticipantRole.CHAIR)
    after = _snapshot(meeting)
    record("meeting.update", meeting, actor=actor,
           changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return meeting


def submit_for_approval(actor: User, meeting: Meeting) -> Meeting:
    policy.require(policy.can_manage_meeting(actor, meeting))
    if meeting.status_enum is not MeetingStatus.DRAFT:
        raise Conflict("Chỉ gửi duyệt được cuộc họp đang là dự thảo.")
    meeting.status, meeting.requires_approval = MeetingStatus.PENDING_APPROVAL.value, True
    meeting.version += 1
    record("meeting.submit", meeting, actor=actor)
    commit()
    return meeting


def approve(actor: User, meeting: Meeting, *, approved: bool = True, note: str = "") -> Meeting:
    """The office approves (or returns to draft, with a reason) a meeting that requires approval."""
    policy.require(policy.is_office(actor, meeting.organisation_id),
                   "Chỉ văn phòng (văn thư, quản trị) của cơ quan duyệt cuộc họp.")
    if meeting.status_enum is not MeetingStatus.PENDING_APPROVAL:
        raise Conflict("Cuộc họp không ở trạng thái chờ duyệt.")
    note = text_field(note, "note", "lý do", 2000)
    if not approved and not note:
        raise ValidationFailed("Nhập lý do trả lại.", field="note")
    if approved:
        meeting.status, meeting.approved_by_id, meeting.approved_at = (MeetingStatus.APPROVED.value, actor.id,
                                                                       utcnow())
    else:
        meeting.status = MeetingStatus.DRAFT.value
    meeting.version += 1
    record("meeting.approve" if approved else "meeting.return", meeting, actor=actor, changes={"note": note})
    commit()
    return meeting


def cancel(actor: User, meeting: Meeting, reason: str) -> Meeting:
    policy.require(policy.can_manage_meeting(actor, meeting))
    if meeting.status_enum in {MeetingStatus.ENDED, MeetingStatus.CANCELLED, MeetingStatus.IN_PROGRESS}:
        raise Conflict("Cuộc họp đã bắt đầu, kết thúc hoặc đã hủy.")
    reason = text_field(reason, "reason", "lý do hủy", 2000, required=True)
    meeting.status, meeting.cancel_reason = MeetingStatus.CANCELLED.value, reason
    meeting.version += 1
    record("meeting.cancel", meeting, actor=actor, changes={"reason": reason})
    commit()
    return meeting


# --- lists -----------------------------------------------------------------------------------------------


SCOPES = {"mine": "Của tôi", "organisation": "Cả cơ quan"}


def meetings_between(user: User, start: datetime, end: datetime, *, scope: str = "mine") -> list[Meeting]:
    """Meetings overlapping [start, end): ``mine`` (the person's own) or ``organisation`` (what they may open,
    and the organisation's announced meetings, shown as the work schedule)."""
    clause = policy.personal_clause(user) if scope == "mine" else policy.calendar_clause(user)
    query = (select(Meeting).where(clause, Meeting.starts_at < end, Meeting.ends_at > start)
             .options(selectinload(Meeting.room), selectinload(Meeting.chair))
             .order_by(Meeting.starts_at, Meeting.id))
    return list(db.session.execute(query).scalars())


def upcoming(user: User, limit: int = 100) -> list[Meeting]:
    query = (select(Meeting).where(policy.visible_clause(user), Meeting.ends_at > utcnow() - timedelta(days=1))
             .options(selectinload(Meeting.room), selectinload(Meeting.chair))
             .order_by(Meeting.starts_at, Meeting.id).limit(limit))
    return list(db.session.execute(query).scalars())


# --- the iCalendar feed ----------------------------------------------------------------------------------


FEED_PAST = timedelta(days=60)
FEED_FUTURE = timedelta(days=400)


def new_feed_token(actor: User) -> str:
    """A new secret feed address for ``actor`` (the old one stops working); only its SHA-256 is kept."""
    token = secrets.token_urlsafe(24)
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = db.session.execute(select(FeedToken).where(FeedToken.user_id == actor.id)).scalar_one_or_none()
    if row is None:
        db.session.add(FeedToken(user_id=actor.id, token_hash=digest))
    else:
        row.token_hash, row.created_at = digest, utcnow()
    record("meeting.feed.token", actor, actor=actor, object_type="user_account", object_id=actor.id)
    commit()
    return token


def has_feed(user: User) -> bool:
    return db.session.execute(select(FeedToken.id).where(FeedToken.user_id == user.id)).first() is not None


def feed_owner(token: str) -> User | None:
    if not token or len(token) > 100:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = db.session.execute(select(FeedToken).where(FeedToken.token_hash == digest)).scalar_one_or_none()
    user = db.session.get(User, row.user_id) if row is not None else None
    return user if user is not None and user.active else None


def feed_meetings(user: User) -> list[Meeting]:
    now = utcnow()
    return meetings_between(user, now - FEED_PAST, now + FEED_FUTURE, scope="mine")


# --- rooms -----------------------------------------------------------------------------------------------


@dataclass
class RoomData:
    name: str = ""
    capacity: int = 0
    equipment: str = ""
    active: bool = True


def _room_data(data: RoomData) -> RoomData:
    name = text_field(data.name, "name", "tên phòng họp", 255, required=True)
    if not 0 <= data.capacity <= 100_000:
        raise ValidationFailed("Sức chứa từ 0 đến 100000 người.", field="capacity")
    equipment = text_field(data.equipment, "equipment", "trang thiết bị", 2000)
    return RoomData(name=name, capacity=data.capacity, equipment=equipment, active=data.active)


def rooms_of(organisation_id: int, *, active_only: bool = True) -> list[Room]:
    query = select(Room).where(Room.organisation_id == organisation_id)
    if active_only:
        query = query.where(Room.active.is_(True))
    return list(db.session.execute(query.order_by(Room.name)).scalars())


def get_room_in(organisation_id: int, room_id: int) -> Room:
    room = db.session.get(Room, room_id)
    if room is None or room.organisation_id != organisation_id:
        raise NotFound("Không tìm thấy phòng họp.")
    return room


def create_room(actor: User, data: RoomData) -> Room:
    policy.require(policy.can_manage_rooms(actor, actor.organisation_id),
                   "Chỉ văn phòng (văn thư, quản trị) quản lý phòng họp.")
    data = _room_data(data)
    room = Room(organisation_id=actor.organisation_id, name=data.name, capacity=data.capacity,
                equipment=data.equipment, active=data.active)
    db.session.add(room)
    record("meeting.room.create", room, actor=actor, changes={"name": data.name, "capacity": data.capacity})
    commit()
    return room


def update_room(actor: User, room: Room, data: RoomData) -> Room:
    policy.require(policy.can_manage_rooms(actor, room.organisation_id),
                   "Chỉ văn phòng (văn thư, quản trị) quản lý phòng họp.")
    data = _room_data(data)
    room.name, room.capacity, room.equipment, room.active = data.name, data.capacity, data.equipment, data.active
    record("meeting.room.update", room, actor=actor, changes={"name": data.name, "capacity": data.capacity,
                                                              "active": data.active})
    commit()
    return room
