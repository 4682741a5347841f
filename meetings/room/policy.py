"""Who may do what in a meeting's live room, on top of the meeting's policy (``meetings.meeting.policy``)."""

from __future__ import annotations

from edoc.accounts.models import User
from meetings.agenda.models import AgendaItem
from meetings.meeting import policy
from meetings.meeting.models import Meeting


def can_join(user: User, meeting: Meeting) -> bool:
    """The room (its page, its snapshot, its Socket.IO room) is for whoever may see the meeting."""
    return policy.can_view_meeting(user, meeting)


def can_lead(user: User, meeting: Meeting) -> bool:
    """Moving the shared agenda: the chair, or the secretary for them."""
    return policy.can_chair(user, meeting)


def can_turn_pages(user: User, meeting: Meeting, item: AgendaItem | None) -> bool:
    """The presenter's page is turned by the current item's presenter, or the chair and the secretary."""
    if can_lead(user, meeting):
        return True
    return item is not None and item.presenter_user_id == user.id
