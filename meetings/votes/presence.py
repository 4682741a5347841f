"""Who is checked in, as the votes need it: the channel a seat votes through (in the room, or remote) and the
electorate (members summoned, members present). The check-in itself is meetings.attendance.checkin's."""

from __future__ import annotations

from collections.abc import Set

from sqlalchemy import select

from edoc.core.db import db
from edoc.core.errors import Conflict
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting
from meetings.votes.policy import Seat, entitled

NO_CHECKIN = "Chưa có dữ liệu điểm danh của cuộc họp."


def voting_members(meeting: Meeting) -> list[Participant]:
    """The members with a vote summoned to the meeting (a deputy stands in a member's seat, not in addition)."""
    rows = db.session.execute(
        select(Participant).where(Participant.meeting_id == meeting.id, Participant.deputy_for_id.is_(None))
        .order_by(Participant.id)
    ).scalars()
    return [p for p in rows if entitled(p)]


def channel_of(meeting: Meeting, seat: Seat) -> str | None:
    """``room`` or ``remote`` when the seat's caster is checked in, else None."""
    raise Conflict(NO_CHECKIN)


def electorate(meeting: Meeting, voted: Set[int]) -> tuple[int, int]:
    """(members summoned, members present): present counts a member checked in (or their deputy), and any member
    with a ballot in ``voted`` (who may have left since)."""
    raise Conflict(NO_CHECKIN)
