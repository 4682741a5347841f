"""Who is checked in, as the votes need it: the channel a seat votes through (in the room, or remote) and the
electorate (members summoned, members present). The check-in itself is ``meetings.attendance.checkin``'s: one
row per member, written by the member, their approved deputy (for the member), the door's QR code or the
secretary."""

from __future__ import annotations

from collections.abc import Set

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import aliased

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import NotAllowed
from meetings.attendance.checkin import CheckIn, Presence
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting
from meetings.votes.policy import NOT_A_PARTICIPANT, Seat, decide_seat, entitled

CHANNELS = {Presence.IN_ROOM.value: "room", Presence.ONLINE.value: "remote"}
"""Check-in status → how the ballot arrived, as the minutes' record names it."""


def voting_members(meeting: Meeting) -> list[Participant]:
    """The members with a vote summoned to the meeting (a deputy stands in a member's seat, not in addition)."""
    rows = db.session.execute(
        select(Participant).where(Participant.meeting_id == meeting.id, Participant.deputy_for_id.is_(None))
        .order_by(Participant.id)
    ).scalars()
    return [p for p in rows if entitled(p)]


_MEMBER = aliased(Participant)
_SEAT = (select(Participant, _MEMBER, CheckIn.status)
         .outerjoin(_MEMBER, _MEMBER.id == Participant.deputy_for_id)
         .outerjoin(CheckIn, and_(CheckIn.meeting_id == Participant.meeting_id,
                                  CheckIn.participant_id == func.coalesce(Participant.deputy_for_id, Participant.id)))
         .where(Participant.meeting_id == bindparam("meeting_id"), Participant.user_id == bindparam("user_id")))
"""Built once: an alias made per call cost more Python than the query itself (SQLAlchemy adapts its columns)."""


def seat_and_channel(user: User, meeting: Meeting) -> tuple[Seat, str | None]:
    """The seat ``user`` votes for (``policy.decide_seat``: NotAllowed saying why not) and how it is checked in
    (``CHANNELS``), read fresh by one statement: the person's participant row, the member a deputy stands for,
    and that seat's check-in row. The cast's hot path: a deputy the chair refuses during the meeting, or a check-out,
    counts from the very next ballot."""
    if not user.is_authenticated:
        raise NotAllowed(NOT_A_PARTICIPANT)
    row = db.session.execute(_SEAT, {"meeting_id": meeting.id, "user_id": user.id}).first()
    if row is None:
        return decide_seat(None, None), None  # raises
    me, stands_for, status = row
    return decide_seat(me, stands_for), CHANNELS.get(status or "")


def electorate(meeting: Meeting, voted: Set[int]) -> tuple[int, int]:
    """(members summoned, members present): present counts a member checked in (or their deputy), and any member
    with a ballot in ``voted`` (who may have left since: a ballot cast was cast by someone present)."""
    members = {p.id for p in voting_members(meeting)}
    checked = set(db.session.execute(select(CheckIn.participant_id).where(
        CheckIn.meeting_id == meeting.id, CheckIn.status.in_(list(CHANNELS)))).scalars())
    return len(members), len(members & (checked | set(voted)))
