"""Who may do what with a meeting's minutes, notice, conclusions' tasks and written opinions: decided here, on top
of the meeting's own gate (``meetings.meeting.policy``).

- The secretary drafts the minutes, edits their text and corrects recorded facts (with a reason); the chair may
  too (the chair answers for the minutes and signs them). Both enter conclusions.
- Only the secretary signs as THƯ KÝ and only the chair as CHỦ TỌA (form 1.9).
- The chair and the secretary draft the conclusion notice and give tasks from conclusions.
- A member who cannot attend (answered absent or sent a deputy) sends written opinions before the meeting starts;
  the chair and the secretary read them.
- The meeting file (hồ sơ cuộc họp) is for those who manage the meeting and its participants.
"""

from __future__ import annotations

from edoc.accounts.models import Role, User
from edoc.core.errors import NotAllowed
from meetings.attendance.models import Participant
from meetings.meeting import policy as meeting_policy
from meetings.meeting.models import Meeting

NOT_SECRETARY = "Chỉ thư ký cuộc họp được ký biên bản ở ô THƯ KÝ."
NOT_CHAIR = "Chỉ chủ tọa cuộc họp được ký biên bản ở ô CHỦ TỌA."


def can_write_minutes(user: User, meeting: Meeting) -> bool:
    return meeting_policy.can_chair(user, meeting)


def is_secretary(user: User, meeting: Meeting) -> bool:
    return user is not None and user.is_authenticated and user.id == meeting.secretary_id


def is_chair(user: User, meeting: Meeting) -> bool:
    return user is not None and user.is_authenticated and user.id == meeting.chair_id


def can_conclude(user: User, meeting: Meeting) -> bool:
    """Draft the notice, give tasks from conclusions, read written opinions."""
    return meeting_policy.can_chair(user, meeting)


def can_send_opinion(user: User, participant: Participant | None) -> bool:
    """The member themselves, invited with a vote, having said they cannot attend."""
    return (participant is not None and participant.user_id == user.id and participant.votes
            and participant.answer in ("absent", "deputy"))


def can_download_file(user: User, meeting: Meeting) -> bool:
    return meeting_policy.can_view_meeting(user, meeting)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)


BOARD_ROLES = frozenset({Role.LEADER, Role.SECRETARY, Role.CLERK, Role.ADMIN})


def sees_all_meeting_tasks(user: User) -> bool:
    """The board of tasks from meetings' conclusions: leaders, meeting secretaries and the office see the
    organisation's; everyone else the tasks given to them or to their unit."""
    return bool(user.roles & BOARD_ROLES)
