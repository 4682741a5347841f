"""Participants (thành phần tham dự), one service function per change: invite people (of the organisation or of
another one on the installation), a whole unit, an outside guest; change a role; remove; answer the invitation;
send a deputy; the chair's consent to a deputy. (Moved here from ``meetings.attendance.service``: the meeting's
pages and invitations use them, and attendance depends on the meeting, not the other way round.)

Each function validates, authorises (``meetings.meeting.policy``), writes with its audit entry and commits
(``edoc.core.db.commit``); views and API routes only parse and render. People are told through edoc's
notifications, which leave after the commit."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import commit, db, utcnow
from edoc.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from edoc.notifications.service import notify
from edoc.organisations.models import Unit
from meetings.meeting import policy
from meetings.meeting.models import Answer, Meeting, MeetingStatus, Participant, ParticipantRole
from meetings.meeting.service import text_field

OPEN_FOR_ANSWERS = (MeetingStatus.ANNOUNCED,)
INVITABLE_ROLES = (ParticipantRole.MEMBER.value, ParticipantRole.GUEST.value)
OUTSIDE = ("Chỉ mời được người của cơ quan mình và của các cơ quan trên hệ thống có trong danh bạ của cơ quan "
           "(có mã định danh); người này không thuộc các cơ quan đó.")


def link(meeting: Meeting) -> str:
    return f"/meetings/{meeting.id}"


def participants_of(meeting: Meeting) -> list[Participant]:
    """Chair, secretary, members, guests; deputies right after the member they replace."""
    rows = list(db.session.execute(select(Participant).where(Participant.meeting_id == meeting.id)
                                   .order_by(Participant.id)).scalars())
    order = {ParticipantRole.CHAIR.value: 0, ParticipantRole.SECRETARY.value: 1, ParticipantRole.MEMBER.value: 2,
             ParticipantRole.GUEST.value: 3}
    main = sorted((p for p in rows if p.deputy_for_id is None), key=lambda p: (order[p.role], p.id))
    out: list[Participant] = []
    for p in main:
        out.append(p)
        out.extend(d for d in rows if d.deputy_for_id == p.id)
    return out


def get_participant(meeting: Meeting, participant_id: int) -> Participant:
    p = db.session.get(Participant, participant_id)
    if p is None or p.meeting_id != meeting.id:
        raise NotFound("Không tìm thấy người tham dự trong cuộc họp này.")
    return p


def _editable(actor: User, meeting: Meeting) -> None:
    policy.require(policy.can_manage_meeting(actor, meeting),
                   "Chỉ chủ trì, thư ký, người tạo cuộc họp hoặc văn phòng được sửa thành phần tham dự.")
    if not policy.can_edit_meeting(actor, meeting) or meeting.starts_at <= utcnow():
        raise Conflict("Cuộc họp đã bắt đầu, kết thúc hoặc đã hủy: không sửa thành phần tham dự được nữa.")


def _role(role: str) -> str:
    if role not in INVITABLE_ROLES:
        raise ValidationFailed("Vai trò là thành viên hoặc khách mời (chủ trì và thư ký chọn ở thông tin cuộc họp).",
                               field="role")
    return role


def _tell(meeting: Meeting, user_id: int | None, text: str) -> None:
    if user_id is not None and meeting.announced_at is not None:
        notify(user_id, "meeting", text, link(meeting))


def _invite(meeting: Meeting, people: Iterable[User], role: str, *, unit_id: int | None = None) -> list[Participant]:
    """Those of ``people`` not yet invited become participants (in the caller's transaction), each told once the
    meeting is announced; ``unit_id``: invited through that unit."""
    present = set(db.session.execute(select(Participant.user_id).where(Participant.meeting_id == meeting.id))
                  .scalars())
    added = []
    for user in people:
        if user.id in present:
            continue
        p = Participant(meeting_id=meeting.id, user_id=user.id, role=role, votes=role == "member",
                        unit_id=unit_id, answer=Answer.PENDING.value)
        db.session.add(p)
        added.append(p)
        _tell(meeting, user.id, f"Giấy mời họp: {meeting.title[:100]}")
    db.session.flush()
    return added


def add_people(actor: User, meeting: Meeting, user_ids: Iterable[int], role: str = "member") -> list[Participant]:
    """Invite people of the organisation or of another organisation the actor may invite from. Those already
    invited are left as they are; one person outside those organisations refuses the whole request."""
    _editable(actor, meeting)
    role = _role(role)
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        raise ValidationFailed("Chọn ít nhất một người.", field="user_ids")
    allowed = policy.invitable_organisation_ids(actor)
    users: list[User] = []
    for user_id in wanted:
        user = db.session.get(User, user_id)
        if user is None or user.organisation_id not in allowed or not user.active:
            raise ValidationFailed(OUTSIDE, field="user_ids")
        users.append(user)
    added = _invite(meeting, users, role)
    record("meeting.participants.add", meeting, actor=actor,
           changes={"user_ids": [p.user_id for p in added], "role": role})
    commit()
    return added


def add_unit(actor: User, meeting: Meeting, unit_id: int, role: str = "member") -> list[Participant]:
    """Invite a whole unit of the organisation: its active people, each marked as invited through it (the Giấy
    mời then names the unit in its Nơi nhận)."""
    _editable(actor, meeting)
    role = _role(role)
    unit = db.session.get(Unit, unit_id)
    if unit is None or unit.organisation_id != meeting.organisation_id or not unit.active:
        raise ValidationFailed("Đơn vị không thuộc cơ quan tổ chức cuộc họp.", field="unit_id")
    people = list(db.session.execute(select(User).where(User.unit_id == unit.id, User.active.is_(True))
                                     .order_by(User.full_name)).scalars())
    if not people:
        raise ValidationFailed(f"Đơn vị “{unit.name}” chưa có người nào đang làm việc.", field="unit_id")
    added = _invite(meeting, people, role, unit_id=unit.id)
    record("meeting.participants.unit", meeting, actor=actor,
           changes={"unit_id": unit.id, "user_ids": [p.user_id for p in added]})
    commit()
    return added


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def add_guest(actor: User, meeting: Meeting, name: str, organisation: str = "", email: str = "") -> Participant:
    """An outside guest (khách mời), without an account: attends, does not vote."""
    _editable(actor, meeting)
    name = text_field(name, "guest_name", "họ tên khách mời", 255, required=True, multiline=False)
    organisation = text_field(organisation, "guest_organisation", "cơ quan của khách mời", 255, multiline=False)
    email = text_field(email, "guest_email", "e-mail của khách mời", 255, multiline=False)
    if email and not EMAIL.match(email):
        raise ValidationFailed("Địa chỉ e-mail của khách mời không hợp lệ.", field="guest_email")
    p = Participant(meeting_id=meeting.id, user_id=None, guest_name=name, guest_organisation=organisation or None,
                    guest_email=email or None, role=ParticipantRole.GUEST.value, votes=False,
                    answer=Answer.PENDING.value)
    db.session.add(p)
    db.session.flush()
    record("meeting.participants.guest", meeting, actor=actor, changes={"name": name, "organisation": organisation})
    commit()
    return p


def set_role(actor: User, meeting: Meeting, participant: Participant, role: str) -> Participant:
    _editable(actor, meeting)
    role = _role(role)
    if participant.role in {ParticipantRole.CHAIR.value, ParticipantRole.SECRETARY.value}:
        raise ValidationFailed("Đổi chủ trì hoặc thư ký ở thông tin cuộc họp.", field="role")
    if participant.user_id is None and role == ParticipantRole.MEMBER.value:
        raise ValidationFailed("Khách mời bên ngoài không là thành viên biểu quyết.", field="role")
    participant.role, participant.votes = role, role == ParticipantRole.MEMBER.value
    record("meeting.participants.role", meeting, actor=actor, changes={"participant_id": participant.id,
                                                                       "role": role})
    commit()
    return participant


def remove(actor: User, meeting: Meeting, participant: Participant) -> None:
    _editable(actor, meeting)
    if participant.role in {ParticipantRole.CHAIR.value, ParticipantRole.SECRETARY.value}:
        raise ValidationFailed("Không bỏ được chủ trì hoặc thư ký: đổi người ở thông tin cuộc họp.", field="role")
    for deputy in db.session.execute(select(Participant).where(Participant.deputy_for_id == participant.id)).scalars():
        db.session.delete(deputy)
    db.session.flush()
    record("meeting.participants.remove", meeting, actor=actor,
           changes={"participant_id": participant.id, "user_id": participant.user_id, "name": participant.name})
    _tell(meeting, participant.user_id, f"Không còn trong thành phần cuộc họp: {meeting.title[:100]}")
    db.session.delete(participant)
    commit()


# --- answers -------------------------------------------------------------------------------------------


def answer(actor: User, meeting: Meeting, participant: Participant, value: str, reason: str = "",
           deputy_user_id: int | None = None) -> Participant:
    """The person's answer to the invitation: attend, attend online, cannot attend (with a reason), or send a
    deputy (who attends once the chair consents). Only they answer for themselves; the secretary records an
    outside guest's answer. Open from the announcement to the start."""
    if not policy.can_answer_for(actor, participant):
        raise NotAllowed("Bạn chỉ trả lời được giấy mời của chính mình.")
    if participant.deputy_for_id is not None and participant.deputy_approved is False:
        raise Conflict("Chủ trì không đồng ý cử bạn dự thay, nên bạn không trả lời giấy mời này.")
    if meeting.status_enum not in OPEN_FOR_ANSWERS or meeting.starts_at <= utcnow():
        raise Conflict("Chỉ trả lời được giấy mời của cuộc họp đã thông báo và chưa bắt đầu.")
    if value not in {a.value for a in Answer} or value == Answer.PENDING.value:
        raise ValidationFailed("Chọn một câu trả lời: tham dự, dự trực tuyến, vắng mặt hoặc cử người dự thay.",
                               field="answer")
    reason = text_field(reason, "answer_reason", "lý do", 2000, multiline=False)
    if value == Answer.ATTEND_ONLINE.value and meeting.mode == "in_person":
        raise ValidationFailed("Cuộc họp này chỉ họp trực tiếp, không có hình thức trực tuyến.", field="answer")
    if value == Answer.ABSENT.value and not reason:
        raise ValidationFailed("Nêu lý do vắng mặt.", field="answer_reason")
    deputy: Participant | None = None
    if value == Answer.DEPUTY.value:
        deputy = _deputy(actor, meeting, participant, deputy_user_id)
    else:
        _withdraw_deputies(participant)
    participant.answer, participant.answer_reason = value, reason or None
    participant.answered_at = utcnow()
    record("meeting.answer", meeting, actor=actor,
           changes={"participant_id": participant.id, "answer": value, "reason": reason,
                    "deputy_user_id": deputy.user_id if deputy else None})
    if value in {Answer.ABSENT.value, Answer.DEPUTY.value}:
        for manager_id in {meeting.chair_id, meeting.secretary_id} - {actor.id}:
            notify(manager_id, "meeting", f"{participant.name}: {participant.answer_label.lower()} — "
                   f"{meeting.title[:80]}", link(meeting))
    commit()
    return participant


def _deputy(actor: User, meeting: Meeting, member: Participant, deputy_user_id: int | None) -> Participant:
    if member.user_id is None or member.role != ParticipantRole.MEMBER.value or member.deputy_for_id is not None:
        raise ValidationFailed("Chỉ thành viên được mời mới cử người dự thay.", field="answer")
    if deputy_user_id is None:
        raise ValidationFailed("Chọn người dự thay.", field="deputy_user_id")
    person = db.session.get(User, deputy_user_id)
    assert member.user is not None
    if person is None or not person.active or person.organisation_id != member.user.organisation_id:
        raise ValidationFailed("Người dự thay phải là người đang làm việc cùng cơ quan với bạn.",
                               field="deputy_user_id")
    seat = db.session.execute(select(Participant).where(Participant.meeting_id == meeting.id,
                                                        Participant.user_id == person.id)).scalar_one_or_none()
    if seat is not None and seat.deputy_for_id != member.id:
        raise ValidationFailed(f"{person.full_name} đã có trong thành phần cuộc họp.", field="deputy_user_id")
    _withdraw_deputies(member, keep=seat)
    if seat is None:
        seat = Participant(meeting_id=meeting.id, user_id=person.id, role=member.role, votes=member.votes,
                           deputy_for_id=member.id, answer=Answer.PENDING.value)
        db.session.add(seat)
    seat.deputy_approved = None
    db.session.flush()
    notify(meeting.chair_id, "meeting", f"{member.name} xin cử {person.full_name} dự thay: {meeting.title[:80]}",
           link(meeting))
    return seat


def _withdraw_deputies(member: Participant, keep: Participant | None = None) -> None:
    """A deputy asked for before and no longer: marked refused (their row may already be referred to)."""
    for d in db.session.execute(select(Participant).where(Participant.deputy_for_id == member.id)).scalars():
        if d is not keep and d.deputy_approved is not False:
            d.deputy_approved = False


def decide_deputy(actor: User, meeting: Meeting, deputy: Participant, approve: bool) -> Participant:
    """The chair (or the secretary recording the chair's word) consents to a deputy or refuses them."""
    policy.require(policy.can_decide_deputy(actor, meeting), "Chỉ chủ trì (hoặc thư ký) quyết định người dự thay.")
    if deputy.deputy_for_id is None:
        raise ValidationFailed("Người này không được cử dự thay.", field="participant_id")
    if meeting.status_enum not in OPEN_FOR_ANSWERS or meeting.starts_at <= utcnow():
        raise Conflict("Cuộc họp đã bắt đầu, kết thúc hoặc đã hủy.")
    deputy.deputy_approved = approve
    record("meeting.deputy", meeting, actor=actor, changes={"participant_id": deputy.id, "approved": approve})
    verdict = "đồng ý" if approve else "không đồng ý"
    if deputy.user_id is not None:
        notify(deputy.user_id, "meeting", f"Chủ trì {verdict} để bạn dự thay: {meeting.title[:80]}", link(meeting))
    member = db.session.get(Participant, deputy.deputy_for_id)
    if member is not None and member.user_id is not None:
        notify(member.user_id, "meeting", f"Chủ trì {verdict} người dự thay bạn: {meeting.title[:80]}", link(meeting))
    commit()
    return deputy


def summary(participants: list[Participant]) -> dict[str, int]:
    """Counts per answer, for the page's "who has answered" line."""
    counts = {a.value: 0 for a in Answer}
    for p in participants:
        if p.deputy_approved is False:
            continue
        counts[p.answer] += 1
    return counts
