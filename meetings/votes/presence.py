"""Who is checked in, as the votes need it: the channel a seat votes through (in the room, or remote) and the
electorate (members summoned, members present). The check-in itself is ``meetings.attendance.checkin``'s: one
row per member, written by the member, their approved deputy (for the member), the door's QR code or the
secretary."""

from __future__ import annotations

from collections.abc import Set

from sqlalchemy import select

from edoc.core.db import db
from meetings.attendance.checkin import CheckIn, Presence
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting
from meetings.votes.policy import Seat, entitled

CHANNELS = {Presence.IN_ROOM.value: "room", Presence.ONLINE.value: "remote"}
"""Check-in status → how the ballot arrived, as the minutes' record names it."""


def voting_members(meeting: Meeting) -> list[Participant]:
    """The members with a vote summoned to the meeting (a deputy stands in a member's seat, not in addition)."""
    rows = db.session.execute(
        select(Participant).where(Participant.meeting_id == meeting.id, Participant.deputy_for_id.is_(None))
        .order_by(Participant.id)
    ).scalars()
    return [p for p in rows if entitled(p)]


def channel_of(meeting: Meeting, seat: Seat) -> str | None:
    """``room`` or ``remote`` when the seat is checked in (the member, or their deputy for them), else None."""
    status = db.session.execute(select(CheckIn.status).where(
        CheckIn.meeting_id == meeting.id, CheckIn.participant_id == seat.member.id)).scalar_one_or_none()
    return CHANNELS.get(status or "")


def electorate(meeting: Meeting, voted: Set[int]) -> tuple[int, int]:
    """(members summoned, members present): present counts a member checked in (or their deputy), and any member
    with a ballot in ``voted`` (who may have left since: a ballot cast was cast by someone present)."""
    members = {p.id for p in voting_members(meeting)}
    checked = set(db.session.execute(select(CheckIn.participant_id).where(
        CheckIn.meeting_id == meeting.id, CheckIn.status.in_(list(CHANNELS)))).scalars())
    return len(members), len(members & (checked | set(voted)))
