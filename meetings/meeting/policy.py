"""Who may see and do what with a meeting: decided here and nowhere else (every meetings package asks here).

- The office (văn phòng: văn thư and quản trị of the meeting's organisation) sees and manages every meeting of its
  organisation, approves those that need approval, and manages the rooms.
- The chair (chủ trì), the secretary (thư ký) and whoever created it manage it: time, place, participants,
  announcing. The chair (or the secretary for them) consents to deputies.
- Participants (of any organisation on the installation) see it once it is announced; until then it is a draft
  the managers are still preparing. A deputy sees it too (the chair may still refuse them).
- Anybody else: "not found", never a 403 that tells a meeting exists.
- Creating a meeting: thư ký họp, lãnh đạo, văn thư and quản trị of an organisation.
- The organisation's calendar shows each announced meeting's time, title and place to the organisation's people
  (the week's work schedule, lịch công tác tuần, is public inside a body); its page stays behind ``can_view_meeting``.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.sql import ColumnElement

from edoc.accounts.models import Role, User
from edoc.contacts.models import Contact
from edoc.core.db import db
from edoc.core.errors import NotAllowed, NotFound
from edoc.organisations.models import Organisation
from meetings.meeting.models import Meeting, MeetingStatus, Participant, Room

NOT_FOUND = "Không tìm thấy cuộc họp."
CREATOR_ROLES = frozenset({Role.SECRETARY, Role.LEADER, Role.CLERK, Role.ADMIN})
OFFICE_ROLES = frozenset({Role.CLERK, Role.ADMIN})


def _signed_in(user: User) -> bool:
    return bool(user is not None and user.is_authenticated and user.active)


def is_office(user: User, organisation_id: int) -> bool:
    return _signed_in(user) and user.organisation_id == organisation_id and bool(user.roles & OFFICE_ROLES)


def participant_of(user: User, meeting: Meeting) -> Participant | None:
    if not _signed_in(user):
        return None
    return db.session.execute(select(Participant).where(Participant.meeting_id == meeting.id,
                                                        Participant.user_id == user.id)).scalar_one_or_none()


def can_manage_meeting(user: User, meeting: Meeting) -> bool:
    if not _signed_in(user):
        return False
    return (user.id in {meeting.chair_id, meeting.secretary_id, meeting.created_by_id}
            or is_office(user, meeting.organisation_id))


def can_chair(user: User, meeting: Meeting) -> bool:
    return _signed_in(user) and user.id in {meeting.chair_id, meeting.secretary_id}


def can_view_meeting(user: User, meeting: Meeting) -> bool:
    if can_manage_meeting(user, meeting):
        return True
    if meeting.announced_at is None:
        return False
    seat = participant_of(user, meeting)
    return seat is not None and seat.deputy_approved is not False  # a deputy the chair refused is not invited


def get_meeting_for(user: User, meeting_id: int) -> Meeting:
    """The meeting if ``user`` may see it; otherwise "not found" (404), whether or not it exists."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or not can_view_meeting(user, meeting):
        raise NotFound(NOT_FOUND)
    return meeting


def personal_clause(user: User) -> ColumnElement[bool]:
    """The meetings that are the person's own (chair, secretary, creator, or invited to an announced one): the
    personal calendar and its iCalendar feed, without the office's view of the whole organisation."""
    return or_(Meeting.chair_id == user.id, Meeting.secretary_id == user.id, Meeting.created_by_id == user.id,
               and_(Meeting.announced_at.is_not(None),
                    exists().where(Participant.meeting_id == Meeting.id, Participant.user_id == user.id,
                                   or_(Participant.deputy_approved.is_(None), Participant.deputy_approved.is_(True)))))


def visible_clause(user: User) -> ColumnElement[bool]:
    """``can_view_meeting`` as a query condition, for calendars and lists."""
    mine = personal_clause(user)
    if user.roles & OFFICE_ROLES:
        return or_(Meeting.organisation_id == user.organisation_id, mine)
    return mine


def calendar_clause(user: User) -> ColumnElement[bool]:
    """What the organisation's calendar lists for ``user``: what they may view, and the announced meetings of
    their own organisation (time, title and place only)."""
    public = and_(Meeting.organisation_id == user.organisation_id, Meeting.announced_at.is_not(None))
    return or_(visible_clause(user), public)


# --- actions -----------------------------------------------------------------------------------------------


def can_create_meeting(user: User) -> bool:
    return _signed_in(user) and bool(user.roles & CREATOR_ROLES)


def can_edit_meeting(user: User, meeting: Meeting) -> bool:
    """Change time, place, chair, participants: a manager, before it ends (a change after announcing issues a new
    Giấy mời; ``service`` refuses that once it has started)."""
    return can_manage_meeting(user, meeting) and meeting.status_enum not in {
        MeetingStatus.ENDED, MeetingStatus.CANCELLED, MeetingStatus.IN_PROGRESS}


def can_approve(user: User, meeting: Meeting) -> bool:
    return is_office(user, meeting.organisation_id) and meeting.status_enum is MeetingStatus.PENDING_APPROVAL


def can_see_participants(user: User, meeting: Meeting) -> bool:
    """Participants see who else is invited and who answered (issue 12, item 5); so do the managers."""
    return can_view_meeting(user, meeting)


def can_answer_for(user: User, participant: Participant) -> bool:
    """Only the person themselves answers their invitation. An outside guest has no account: the secretary
    records their answer (by telephone, e-mail)."""
    if not _signed_in(user):
        return False
    if participant.user_id is not None:
        return participant.user_id == user.id
    meeting = db.session.get(Meeting, participant.meeting_id)
    return meeting is not None and can_manage_meeting(user, meeting)


def can_decide_deputy(user: User, meeting: Meeting) -> bool:
    """The chair decides who attends (QĐ 45/2018); the secretary records the chair's decision."""
    return can_chair(user, meeting)


def invitable_organisation_ids(user: User) -> set[int]:
    """The organisations whose people ``user`` may invite: their own, and those on this installation that their
    organisation's directory (danh bạ) names by mã định danh, as same-installation delivery of the Giấy mời
    reaches exactly those. Anybody else's people are not shown and cannot be added."""
    if not _signed_in(user):
        return set()
    organ_ids = select(Contact.organ_id).where(Contact.organisation_id == user.organisation_id,
                                               Contact.active.is_(True), Contact.organ_id != "")
    others = db.session.execute(select(Organisation.id).where(Organisation.organ_id.in_(organ_ids))).scalars()
    return {user.organisation_id, *others}


def can_manage_rooms(user: User, organisation_id: int) -> bool:
    return is_office(user, organisation_id)


def can_book_room(user: User, room: Room) -> bool:
    """A room is booked by those who may create meetings in its organisation."""
    return can_create_meeting(user) and user.organisation_id == room.organisation_id and room.active


def require(allowed: bool, message: str = "Bạn không có quyền thực hiện thao tác này với cuộc họp.") -> None:
    if not allowed:
        raise NotAllowed(message)
