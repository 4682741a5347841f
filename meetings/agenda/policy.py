"""Who may change a meeting's agenda: its managers (chair, secretary, creator, the office), through the meeting's
gate (``meetings.meeting.policy``), while the meeting has not ended or been cancelled. Who may read the papers
of its items is ``meetings.papers.policy``."""

from __future__ import annotations

from edoc.accounts.models import User
from edoc.core.errors import NotAllowed
from meetings.meeting.models import Meeting
from meetings.meeting.policy import can_manage_meeting

CLOSED = frozenset({"ended", "cancelled"})


def can_edit_agenda(user: User, meeting: Meeting) -> bool:
    return meeting.status not in CLOSED and can_manage_meeting(user, meeting)


def require_edit(user: User, meeting: Meeting) -> None:
    if meeting.status in CLOSED:
        raise NotAllowed("Cuộc họp đã kết thúc hoặc bị hủy: không sửa chương trình và tài liệu được nữa.")
    if not can_manage_meeting(user, meeting):
        raise NotAllowed("Chỉ chủ trì, thư ký hoặc văn phòng được sửa chương trình và tài liệu cuộc họp.")
