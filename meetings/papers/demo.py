"""Papers for the demo meeting (``edoc demo``): the organisation's issued plan (signed: delivered intact) on the
first item, an uploaded draft resolution (stamped with each reader's name, open to comments) on the last, the
release three working days ahead where the calendar allows it, and reminders a day and two hours before."""

from __future__ import annotations

import io
from datetime import timedelta
from html import escape

from sqlalchemy import select
from weasyprint import HTML

from edoc.accounts.models import User
from edoc.calendar.service import calendar_for
from edoc.core.clock import VIETNAM, vietnam_time
from edoc.core.db import db, utcnow
from edoc.documents.models import OutgoingDocument
from edoc.documents.policy import PUBLISHED_VALUES
from edoc.organisations.models import Organisation
from meetings.agenda.service import items_of
from meetings.demo import TITLE as DEMO_TITLE
from meetings.meeting.models import Meeting
from meetings.papers import files, reminders, service
from meetings.papers.models import Paper

RESOLUTION = ["LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM", "BAN THƯỜNG VỤ", "", "DỰ THẢO", "NGHỊ QUYẾT",
              "Hội nghị Ban Thường vụ tháng 12 năm 2026", "",
              "1. Thống nhất đánh giá kết quả hoạt động công đoàn năm 2026.",
              "2. Phấn đấu năm 2027 phát triển 500 đoàn viên mới, thành lập 5 công đoàn cơ sở.",
              "3. Giao Văn phòng tham mưu kế hoạch triển khai, báo cáo trước ngày 15/01/2027."]


def _pdf(lines: list[str]) -> bytes:
    body = "".join(f"<p>{escape(line) or '&nbsp;'}</p>" for line in lines)
    return HTML(string=f'<html><body style="font: 13pt Liberation Serif">{body}</body></html>').write_pdf()


def add_demo_papers(meeting: Meeting) -> list[str]:
    """Attach the demo papers to ``meeting`` (its secretary adds them) unless it has papers already; returns
    what was done, one line each, for ``edoc demo`` to print."""
    if db.session.execute(select(Paper.id).where(Paper.meeting_id == meeting.id)).first() is not None:
        return []
    items = [i for i in items_of(meeting) if i.parent_id is None]
    if not items:
        return []
    secretary = db.session.get(User, meeting.secretary_id)
    made: list[str] = []
    plan = db.session.execute(select(OutgoingDocument).where(
        OutgoingDocument.organisation_id == meeting.organisation_id, OutgoingDocument.type_code == "KH",
        OutgoingDocument.status.in_(PUBLISHED_VALUES)).order_by(OutgoingDocument.id)).scalars().first()
    if plan is not None and plan.issued_file_id is not None:
        service.link_document(secretary, meeting, items[0].id, "outgoing", plan.id,
                              title=f"Kế hoạch {plan.reference}")
        made.append(f"Tài liệu họp: Kế hoạch {plan.reference} (văn bản đã ban hành, ký số)")
    upload = files.read_upload(io.BytesIO(_pdf(RESOLUTION)), "du-thao-nghi-quyet.pdf")
    service.add_upload(secretary, meeting, items[-1].id, upload, title="Dự thảo Nghị quyết Hội nghị", draft=True)
    made.append("Tài liệu họp: Dự thảo Nghị quyết (dự thảo, đại biểu góp ý)")
    # three working days before the meeting's day at 08:00, or now if that is already past
    day = vietnam_time(meeting.starts_at).date()
    calendar = calendar_for(meeting.organisation_id)
    back, counted = day, 0
    while counted < service.LEAD_WORKING_DAYS:
        back -= timedelta(days=1)
        if calendar.is_working_day(back):
            counted += 1
    release = max(utcnow() - timedelta(minutes=1),
                  vietnam_time(meeting.starts_at).replace(year=back.year, month=back.month, day=back.day, hour=8,
                                                          minute=0, second=0, microsecond=0, tzinfo=VIETNAM))
    if release < meeting.starts_at:
        service.set_release(secretary, meeting, release)
        made.append(f"Phát hành tài liệu lúc {vietnam_time(release):%H:%M %d/%m/%Y}")
    reminders.set_reminders(secretary, meeting, [1440, 120])
    return made


def demo_step(org: Organisation) -> list[str]:
    """``edoc demo``'s step, registered after the demo meeting's own (``meetings.demo``): papers for that meeting
    only, never for a meeting people made themselves."""
    meeting = db.session.execute(select(Meeting).where(Meeting.organisation_id == org.id,
                                                       Meeting.title == DEMO_TITLE)).scalars().first()
    return add_demo_papers(meeting) if meeting is not None else []
