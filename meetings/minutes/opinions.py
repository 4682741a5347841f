"""Written opinions of members who cannot attend (ý kiến bằng văn bản): one per agenda item, sent or changed until
the meeting starts, shown to the chair and the secretary, recorded in the minutes."""

from __future__ import annotations

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.core.text import clean
from edoc.notifications.service import notify
from meetings.agenda.models import AgendaItem
from meetings.meeting import policy as meeting_policy
from meetings.meeting.models import Meeting, MeetingStatus
from meetings.minutes import policy
from meetings.minutes.models import WrittenOpinion

MAX_OPINION = 5000
BEFORE = {MeetingStatus.DRAFT, MeetingStatus.PENDING_APPROVAL, MeetingStatus.APPROVED, MeetingStatus.ANNOUNCED}


def send_opinion(actor: User, meeting: Meeting, agenda_item_id: int, text: str) -> WrittenOpinion:
    participant = meeting_policy.participant_of(actor, meeting)
    policy.require(policy.can_send_opinion(actor, participant),
                   "Ý kiến bằng văn bản dành cho thành viên đã báo vắng mặt (hoặc cử người dự thay).")
    assert participant is not None
    if meeting.status_enum not in BEFORE:
        raise ValidationFailed("Cuộc họp đã bắt đầu hoặc đã kết thúc: ý kiến bằng văn bản phải gửi trước cuộc họp.",
                               field="text")
    item = db.session.get(AgendaItem, agenda_item_id)
    if item is None or item.meeting_id != meeting.id:
        raise ValidationFailed("Nội dung này không thuộc cuộc họp.", field="agenda_item_id")
    text = clean(text).replace("\r\n", "\n")
    if not text:
        raise ValidationFailed("Ghi nội dung ý kiến.", field="text")
    if len(text) > MAX_OPINION:
        raise ValidationFailed(f"Ý kiến dài quá {MAX_OPINION} ký tự.", field="text")
    row = db.session.execute(select(WrittenOpinion).where(WrittenOpinion.agenda_item_id == item.id,
                                                          WrittenOpinion.participant_id == participant.id)
                             ).scalar_one_or_none()
    if row is None:
        row = WrittenOpinion(meeting_id=meeting.id, agenda_item_id=item.id, participant_id=participant.id, text=text)
        db.session.add(row)
    else:
        row.text = text
    record("meeting.written_opinion", row, actor=actor, organisation_id=meeting.organisation_id,
           changes={"agenda_item_id": item.id, "length": len(text)})
    notify(meeting.chair_id, "meeting", f"{actor.full_name} gửi ý kiến bằng văn bản: {item.title[:100]}",
           f"/meetings/{meeting.id}/minutes#y-kien")
    return row


def opinions_of(actor: User, meeting: Meeting) -> list[WrittenOpinion]:
    """For the chair and the secretary; a member sees their own."""
    query = select(WrittenOpinion).where(WrittenOpinion.meeting_id == meeting.id).order_by(
        WrittenOpinion.agenda_item_id, WrittenOpinion.id)
    rows = list(db.session.execute(query).scalars())
    if policy.can_conclude(actor, meeting):
        return rows
    return [r for r in rows if r.participant.user_id == actor.id]
