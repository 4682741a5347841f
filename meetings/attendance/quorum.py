"""The quorum (túc số), live: how many of the members summoned with a vote are checked in, against the meeting's
rule (``Meeting.quorum_rule``, a preset of ``meetings.votes.rules.QUORUMS``).

Counted: members with a vote, not deputies (a deputy stands for the member, never in addition); a member is
present when checked in in the room or online, themselves or through their approved deputy. The chair counts
(they vote); the secretary and guests do not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from edoc.core.db import db
from meetings.attendance.models import Participant
from meetings.meeting.quorum import QUORUM_LABELS, QUORUMS


@dataclass(frozen=True)
class Quorum:
    members: int
    present: int
    in_room: int
    online: int
    absent: int
    needed: int
    met: bool
    rule: str
    label: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute(meeting_id: int, quorum_rule: str, statuses: dict[int, str]) -> Quorum:
    """``statuses``: participant id → check-in status, for every participant checked in (see ``checkin``)."""
    members = db.session.execute(select(Participant.id).where(
        Participant.meeting_id == meeting_id, Participant.votes.is_(True),
        Participant.deputy_for_id.is_(None))).scalars().all()
    counts = {"in_room": 0, "online": 0, "absent": 0}
    for member in members:
        status = statuses.get(member)
        if status in counts:
            counts[status] += 1
    present = counts["in_room"] + counts["online"]
    rule = QUORUMS.get(quorum_rule)
    needed = rule.needed(len(members)) if rule is not None else 0
    met = rule.met(present, len(members)) if rule is not None else True
    return Quorum(members=len(members), present=present, in_room=counts["in_room"], online=counts["online"],
                  absent=counts["absent"], needed=needed, met=met, rule=quorum_rule,
                  label=QUORUM_LABELS.get(quorum_rule, quorum_rule))
