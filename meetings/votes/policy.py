"""Who may run a vote and for whom a person votes: decided here, on top of the meeting's own policy.

- The chair and the secretary (``can_chair``) create, open and close votes and enter the tellers' paper count.
- A member with a vote (``Participant.votes``) votes for themselves; a deputy whose replacement the chair approved
  votes for the member they replace, and that member no longer votes (one vote per seat). Guests never vote.
- Whether the person is checked in, and where (in the room or online), is the check-in's to say
  (``meetings.attendance.checkin``); the service asks it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import NotAllowed
from meetings.attendance.models import Answer, Participant, ParticipantRole
from meetings.meeting.models import Meeting
from meetings.meeting.policy import can_chair, participant_of

NOT_A_PARTICIPANT = "Bạn không có tên trong thành phần cuộc họp nên không thể biểu quyết."
GUEST = "Khách mời không có quyền biểu quyết."
NO_VOTE = "Bạn tham dự cuộc họp này không có quyền biểu quyết."
REPLACED = "Bạn đã cử người dự họp thay; người dự thay biểu quyết thay bạn."
DEPUTY_NOT_APPROVED = "Chủ trì chưa đồng ý cho bạn dự họp thay nên bạn chưa thể biểu quyết."
CHAIR_ONLY = "Chỉ chủ trì hoặc thư ký cuộc họp được điều hành biểu quyết."


def can_manage_votes(user: User, meeting: Meeting) -> bool:
    return can_chair(user, meeting)


def require_manager(user: User, meeting: Meeting, message: str = CHAIR_ONLY) -> None:
    if not can_manage_votes(user, meeting):
        raise NotAllowed(message)


@dataclass(frozen=True)
class Seat:
    """The member whose vote this is (``member``), and who is at the meeting casting it (``caster``: the member
    or their approved deputy)."""

    member: Participant
    caster: Participant


def entitled(participant: Participant) -> bool:
    return participant.votes and participant.role != ParticipantRole.GUEST.value and not participant.is_guest


def seat_of(user: User, meeting: Meeting) -> Seat:
    """The seat ``user`` votes for, or NotAllowed saying why not."""
    me = participant_of(user, meeting)
    member = db.session.get(Participant, me.deputy_for_id) if me is not None and me.deputy_for_id else None
    return decide_seat(me, member)


def decide_seat(me: Participant | None, member: Participant | None) -> Seat:
    """The seat of the participant ``me`` (None: not invited), given ``member``, the participant a deputy stands
    for (None for anyone else): read by ``seat_of``, or by the cast's one statement (``presence.seat_and_channel``)."""
    if me is None:
        raise NotAllowed(NOT_A_PARTICIPANT)
    if me.role == ParticipantRole.GUEST.value or me.is_guest:
        raise NotAllowed(GUEST)
    if me.deputy_for_id is not None:
        if me.deputy_approved is not True:
            raise NotAllowed(DEPUTY_NOT_APPROVED)
        if member is None or member.id != me.deputy_for_id or member.meeting_id != me.meeting_id \
                or not entitled(member):
            raise NotAllowed(NO_VOTE)
        return Seat(member, me)
    if not entitled(me):
        raise NotAllowed(NO_VOTE)
    # only a member who answered "deputy" can have one (a second seat is refused by the register anyway)
    if me.answer == Answer.DEPUTY.value and deputy_of(me) is not None:
        raise NotAllowed(REPLACED)
    return Seat(me, me)


def deputy_of(member: Participant) -> Participant | None:
    """The approved deputy attending for ``member``, if any."""
    return db.session.execute(
        select(Participant).where(Participant.deputy_for_id == member.id, Participant.deputy_approved.is_(True))
        .limit(1)
    ).scalar_one_or_none()


def seat_or_none(user: User, meeting: Meeting) -> Seat | None:
    """The seat ``user`` votes for, or None (to show the page; casting says why not)."""
    try:
        return seat_of(user, meeting)
    except NotAllowed:
        return None
