"""The conclusion notice (Thông báo kết luận, type TB): drafted from the conclusions entered per item, signed by the
chair and issued through the documents flow like any document, within ``NOTICE_WORKING_DAYS`` working days of the
meeting (QĐ 45/2018/QĐ-TTg). The page counts the working days left; a job reminds the chair and the secretary
from two working days before the limit, once a day, until the notice is issued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from edoc import jobs
from edoc.accounts.models import User
from edoc.audit.service import record
from edoc.calendar.service import calendar_for
from edoc.core.clock import vietnam_today
from edoc.core.db import commit, db
from edoc.core.errors import Conflict, ValidationFailed
from edoc.documents import drafting, sources
from edoc.documents.models import RecipientKind, RecipientPurpose
from edoc.documents.policy import PUBLISHED
from edoc.notifications.service import notify
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting
from meetings.minutes import facts as f
from meetings.minutes import policy
from meetings.minutes.models import Minutes
from meetings.minutes.service import ensure_minutes, gather, require_ended

NOTICE_TYPE = "TB"
REMIND_FROM_WORKING_DAYS = 2
"""The chair is reminded when the limit is this many working days away or nearer (and after it passed)."""


def _recipients(meeting: Meeting) -> list[drafting.RecipientData]:
    """The units of the organisation's participants (to act on the conclusions), and participants with no unit."""
    units: dict[int, None] = {}
    people: dict[int, None] = {}
    for p in db.session.execute(select(Participant).where(Participant.meeting_id == meeting.id)).scalars():
        if p.user is None or p.user.organisation_id != meeting.organisation_id:
            continue
        if p.user.unit_id is not None:
            units[p.user.unit_id] = None
        else:
            people[p.user.id] = None
    return ([drafting.RecipientData(RecipientKind.UNIT.value, RecipientPurpose.ACT.value, unit_id=u) for u in units]
            + [drafting.RecipientData(RecipientKind.USER.value, RecipientPurpose.ACT.value, user_id=u) for u in people])


def draft_notice(actor: User, meeting: Meeting) -> Minutes:
    """The TB drafted from the conclusions, for the chair to sign; refused for a meeting that has not ended or has
    no conclusion."""
    policy.require(policy.can_conclude(actor, meeting), "Chỉ chủ tọa và thư ký cuộc họp soạn thông báo kết luận.")
    require_ended(meeting, "ra thông báo kết luận")
    minutes = ensure_minutes(actor, meeting)
    if minutes.notice_id is not None:
        raise Conflict("Thông báo kết luận của cuộc họp đã được soạn.")
    facts = gather(meeting, minutes)
    if not any(item.conclusion.strip() for item in facts.items):
        raise ValidationFailed("Chưa có kết luận nào: hãy ghi kết luận cho các nội dung trước khi soạn thông báo.",
                               field="conclusion")
    chair = meeting.chair
    data = drafting.DraftData(type_code=NOTICE_TYPE, summary=f"Kết luận của {chair.title.lower() or 'chủ tọa'} tại "
                              f"{meeting.title[:1].lower() + meeting.title[1:]}", body=f.notice_body(facts),
                              signer_id=chair.id, recipients=_recipients(meeting))
    try:
        doc = sources.save_draft(actor, data)
    except ValidationFailed as exc:
        if exc.field == "signer_id":
            raise ValidationFailed(f"Chủ tọa {chair.full_name} phải là lãnh đạo đang hoạt động của cơ quan để ký "
                                   "thông báo kết luận.", field="chair_id") from None
        raise
    minutes.notice_id = doc.id
    record("meeting.notice_draft", minutes, actor=actor, organisation_id=meeting.organisation_id,
           changes={"document_id": doc.id, "due_on": minutes.notice_due_on.isoformat()})
    return minutes


@dataclass(frozen=True)
class Countdown:
    due_on: date
    working_days_left: int
    """Working days after today up to the limit: 0 on the last day, negative once passed."""
    issued: bool

    @property
    def text(self) -> str:
        if self.issued:
            return "Đã ban hành thông báo kết luận."
        if self.working_days_left > 0:
            return (f"Còn {self.working_days_left} ngày làm việc để ban hành thông báo kết luận (hạn "
                    f"{self.due_on:%d/%m/%Y}).")
        if self.working_days_left == 0:
            return f"Hôm nay ({self.due_on:%d/%m/%Y}) là hạn cuối ban hành thông báo kết luận."
        return (f"Đã quá hạn ban hành thông báo kết luận {-self.working_days_left} ngày làm việc (hạn "
                f"{self.due_on:%d/%m/%Y}).")

    @property
    def urgent(self) -> bool:
        return not self.issued and self.working_days_left <= REMIND_FROM_WORKING_DAYS


def notice_issued(minutes: Minutes) -> bool:
    notice = minutes.notice
    return notice is not None and notice.status_enum in PUBLISHED


def countdown(minutes: Minutes, meeting: Meeting, today: date | None = None) -> Countdown:
    today = today or vietnam_today()
    calendar = calendar_for(meeting.organisation_id)
    return Countdown(minutes.notice_due_on, calendar.working_days_between(today, minutes.notice_due_on),
                     notice_issued(minutes))


def remind_notices(today: date | None = None) -> int:
    """The reminder job's body: each meeting whose notice is not issued and whose limit is near or past reminds
    its chair and secretary, once a day (``notice_reminded_on``). The caller commits. Returns reminders sent."""
    today = today or vietnam_today()
    sent = 0
    for minutes in db.session.execute(select(Minutes).order_by(Minutes.id)).scalars():
        if minutes.notice_reminded_on == today or notice_issued(minutes):
            continue
        meeting = minutes.meeting
        state = countdown(minutes, meeting, today)
        if not state.urgent:
            continue
        minutes.notice_reminded_on = today
        for user_id in dict.fromkeys([meeting.chair_id, meeting.secretary_id]):
            notify(user_id, "meeting", f"{state.text} Cuộc họp: {meeting.title[:120]}",
                   f"/meetings/{meeting.id}/minutes")
        record("meeting.notice_remind", minutes, organisation_id=meeting.organisation_id,
               changes={"working_days_left": state.working_days_left})
        sent += 1
    return sent


def _handle(context: jobs.JobContext) -> jobs.Outcome:
    sent = remind_notices()
    commit()
    return jobs.Outcome(f"đã nhắc {sent} thông báo kết luận")


NOTICE_JOB = "meetings.notice_remind"
# hourly at :20 (08:20 in Hà Nội is the first run of a working day); a day's later runs find it reminded
jobs.periodic(NOTICE_JOB, _handle, minute="20", hour="*")
