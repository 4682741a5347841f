"""The speakers' queue, one service function per change: ask, withdraw, reorder, give the floor, end it. Each
writes, audits, publishes ``speakers.changed`` with the whole queue (a page applying it twice is unchanged) and
commits. Asking and withdrawing are the participant's own; the rest is the chair's (or the secretary's)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import commit, db, utcnow
from edoc.core.errors import NotAllowed, NotFound, ValidationFailed
from meetings.agenda.models import AgendaItem
from meetings.attendance.models import Participant
from meetings.live.events import publish, register_section, state_for_update, state_of
from meetings.meeting import policy
from meetings.meeting.models import Meeting, MeetingStatus
from meetings.speakers.models import Kind, SpeakerRequest, Status

LIMITS = {Kind.SPEAK: 300, Kind.ORDER: 120}
"""The time shown against a speech (seconds): five minutes, two for a point of order; the timer turns red past
it, the chair decides (nobody is cut off automatically)."""
MAX_QUEUE = 2000


def _open(meeting: Meeting) -> None:
    if meeting.status_enum in (MeetingStatus.ENDED, MeetingStatus.CANCELLED):
        raise NotAllowed("Cuộc họp đã kết thúc hoặc đã hủy.")


def _lead(actor: User, meeting: Meeting) -> None:
    policy.require(policy.can_chair(actor, meeting), "Chỉ chủ trì hoặc thư ký được điều hành phát biểu.")


def _waiting(meeting_id: int) -> list[SpeakerRequest]:
    return list(db.session.execute(select(SpeakerRequest).where(
        SpeakerRequest.meeting_id == meeting_id, SpeakerRequest.status == Status.WAITING.value)
        .order_by(SpeakerRequest.position, SpeakerRequest.id)).scalars())


def _speaking(meeting_id: int) -> SpeakerRequest | None:
    return db.session.execute(select(SpeakerRequest).where(
        SpeakerRequest.meeting_id == meeting_id, SpeakerRequest.status == Status.SPEAKING.value)).scalar_one_or_none()


def _changed(meeting: Meeting, actor: User, action: str, row: SpeakerRequest) -> None:
    record(f"meeting.speakers.{action}", meeting, actor=actor, changes={
        "request_id": row.id, "participant_id": row.participant_id, "kind": row.kind, "item_id": row.item_id,
        "seconds": row.seconds})
    publish(meeting.id, "speakers.changed", {"speakers": speakers_json(meeting.id)}, actor=actor)
    commit()


def request_floor(actor: User, meeting: Meeting, kind: object) -> SpeakerRequest:
    _open(meeting)
    if kind not in (Kind.SPEAK.value, Kind.ORDER.value):
        raise ValidationFailed("Loại đăng ký phát biểu không hợp lệ.", field="kind")
    me = policy.participant_of(actor, meeting)
    if me is None:
        raise NotAllowed("Bạn không có trong thành phần cuộc họp này.")
    state_for_update(meeting.id)  # serialises the queue's writers: one request per person, positions in order
    waiting = _waiting(meeting.id)
    if any(r.participant_id == me.id for r in waiting):
        raise ValidationFailed("Bạn đã đăng ký phát biểu, đang chờ đến lượt.")
    if len(waiting) >= MAX_QUEUE:
        raise ValidationFailed("Danh sách đăng ký phát biểu đã đầy.")
    state = state_of(meeting.id)
    row = SpeakerRequest(meeting_id=meeting.id, participant_id=me.id, kind=kind,
                         item_id=state.current_item_id if state else None, status=Status.WAITING.value)
    if kind == Kind.ORDER.value:  # after earlier points of order, before every ordinary request
        orders = [r for r in waiting if r.kind == Kind.ORDER.value]
        queue = orders + [row] + [r for r in waiting if r.kind != Kind.ORDER.value]
    else:
        queue = waiting + [row]
    for position, r in enumerate(queue):
        r.position = position
    db.session.add(row)
    db.session.flush()
    _changed(meeting, actor, "request", row)
    return row


def withdraw(actor: User, meeting: Meeting) -> SpeakerRequest:
    me = policy.participant_of(actor, meeting)
    state_for_update(meeting.id)
    row = next((r for r in _waiting(meeting.id) if me is not None and r.participant_id == me.id), None)
    if row is None:
        raise NotFound("Bạn không có đăng ký phát biểu nào đang chờ.")
    row.status = Status.WITHDRAWN.value
    _changed(meeting, actor, "withdraw", row)
    return row


def reorder(actor: User, meeting: Meeting, order: object) -> list[int]:
    _lead(actor, meeting)
    _open(meeting)
    if not isinstance(order, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in order):
        raise ValidationFailed("Thứ tự phát biểu không hợp lệ.", field="order")
    state_for_update(meeting.id)
    waiting = {r.id: r for r in _waiting(meeting.id)}
    if sorted(order) != sorted(waiting) or len(set(order)) != len(order):
        raise ValidationFailed("Danh sách đã thay đổi; hãy xếp lại theo danh sách mới nhất.", field="order")
    for position, rid in enumerate(order):
        waiting[rid].position = position
    if order:
        _changed(meeting, actor, "reorder", waiting[order[0]])
    return order


def _finish(row: SpeakerRequest) -> None:
    now = utcnow()
    row.status, row.ended_at = Status.DONE.value, now
    row.seconds = int((now - (row.started_at or now)).total_seconds())


def give_floor(actor: User, meeting: Meeting, request_id: object) -> SpeakerRequest:
    """The chair gives the floor to a waiting request; whoever had it is done (their time recorded)."""
    _lead(actor, meeting)
    _open(meeting)
    if isinstance(request_id, bool) or not isinstance(request_id, int):
        raise ValidationFailed("Đăng ký phát biểu không hợp lệ.", field="request_id")
    state_for_update(meeting.id)
    row = db.session.get(SpeakerRequest, request_id)
    if row is None or row.meeting_id != meeting.id or row.status != Status.WAITING.value:
        raise NotFound("Không tìm thấy đăng ký phát biểu này trong danh sách chờ.")
    current = _speaking(meeting.id)
    if current is not None:
        _finish(current)
    row.status, row.started_at = Status.SPEAKING.value, utcnow()
    state = state_of(meeting.id)
    if state is not None and state.current_item_id:
        row.item_id = state.current_item_id  # what they speak on is the item on screen now
    _changed(meeting, actor, "give", row)
    return row


def end_floor(actor: User, meeting: Meeting) -> SpeakerRequest:
    _lead(actor, meeting)
    state_for_update(meeting.id)
    row = _speaking(meeting.id)
    if row is None:
        raise NotFound("Hiện không có ai đang phát biểu.")
    _finish(row)
    _changed(meeting, actor, "end", row)
    return row


def _name(p: Participant) -> str:
    return p.name


def speakers_json(meeting_id: int, user: User | None = None) -> dict[str, Any]:
    rows = db.session.execute(
        select(SpeakerRequest, Participant, AgendaItem.title)
        .join(Participant, Participant.id == SpeakerRequest.participant_id)
        .outerjoin(AgendaItem, AgendaItem.id == SpeakerRequest.item_id)
        .where(SpeakerRequest.meeting_id == meeting_id,
               SpeakerRequest.status.in_([Status.WAITING.value, Status.SPEAKING.value, Status.DONE.value]))
        .order_by(SpeakerRequest.position, SpeakerRequest.id)).all()

    def one(r: SpeakerRequest, p: Participant, title: str | None) -> dict[str, Any]:
        return {"id": r.id, "participant_id": p.id, "user_id": p.user_id, "name": _name(p), "kind": r.kind,
                "item_id": r.item_id, "item": title, "seconds": r.seconds,
                "started_at": r.started_at.isoformat() if r.started_at else None,
                "limit_seconds": LIMITS[Kind(r.kind)]}

    floor = next((one(*row) for row in rows if row[0].status == Status.SPEAKING.value), None)
    spoken = sorted((row for row in rows if row[0].status == Status.DONE.value), key=lambda row: row[0].ended_at)
    return {"queue": [one(*row) for row in rows if row[0].status == Status.WAITING.value], "floor": floor,
            "spoken": [one(*row) for row in spoken], "now": utcnow().isoformat()}


def record_of(meeting_id: int) -> list[dict[str, Any]]:
    """Who spoke on what and for how long, in order: for the minutes (biên bản)."""
    return speakers_json(meeting_id)["spoken"]


register_section("speakers", speakers_json)

