"""An ended meeting of the demo organisation: the chair (chutich) and the secretary (thuky, given a development
certificate and a signature image here, as the demo gives the leaders), a member present, one online, one absent
with a reason, two agenda items. Participants, agenda items and the meeting's end are written directly: their own
services belong to the live room and the agenda packages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask

from edoc.accounts.models import User
from edoc.calendar.workdays import WorkCalendar
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from edoc.files.service import store_bytes
from edoc.signatures.credentials import active_credential, save_credential
from edoc.signatures.devca import DEMO_PIN, load_or_create_ca, signature_png
from meetings.agenda.models import AgendaItem
from meetings.attendance.models import Participant
from meetings.meeting import service as meeting_service
from meetings.meeting.models import Meeting
from meetings.papers.models import Paper, PaperVersion

PIN = DEMO_PIN
DAY = vietnam_today() - timedelta(days=1)


def days_left_text(day: date = DAY) -> str:
    """The countdown the page shows for a meeting held on ``day`` (whatever weekday the suite runs on)."""
    calendar = WorkCalendar()
    left = calendar.working_days_between(vietnam_today(), calendar.add_working_days(day, 5))
    return f"Còn {left} ngày làm việc để ban hành thông báo kết luận"


def give_certificate(user: User) -> None:
    if user.signature_file_id is None:
        user.signature_file_id = store_bytes(signature_png(user.full_name), "chu-ky.png", uploader=user,
                                             purpose="signature-image", media_type="image/png").id
    if active_credential(user.organisation_id, user.id) is None:
        save_credential(None, user.organisation, load_or_create_ca().issue(user.full_name,
                                                                           organisation=user.organisation.name),
                        user=user, pin=PIN, source="devca")


@pytest.fixture
def make_meeting(app: Flask, demo: dict[str, int]) -> Callable[..., int]:
    """``make(status=...)``: a meeting held yesterday (08:00-10:00, Vietnam time), in that status."""

    def make(status: str = "ended") -> int:
        with app.app_context():
            secretary = db.session.get(User, demo["thuky"])
            assert secretary is not None
            give_certificate(secretary)
            data = meeting_service.MeetingData(
                title="Họp Ban Thường vụ tháng 12", kind="regular", mode="hybrid",
                starts_at=meeting_service.vietnam_moment(DAY, 8, 0), ends_at=meeting_service.vietnam_moment(DAY, 10, 0),
                chair_id=demo["chutich"], secretary_id=demo["thuky"], location="Phòng họp tầng 2",
                online_link="https://hop.example.vn/bt12")
            meeting = meeting_service.create_meeting(secretary, data)
            for username, answer, reason in (("phochutich", "attend", None), ("chuyenvien", "attend_online", None),
                                             ("daibieu", "absent", "Đi công tác tại tỉnh")):
                db.session.add(Participant(meeting_id=meeting.id, user_id=demo[username], role="member", votes=True,
                                           answer=answer, answer_reason=reason))
            for position, (title, kind) in enumerate((("Báo cáo kết quả hoạt động năm 2026", "report"),
                                                      ("Kế hoạch công tác quý I năm 2027", "decision"))):
                db.session.add(AgendaItem(meeting_id=meeting.id, position=position, title=title, kind=kind,
                                          presenter_user_id=demo["thuky"]))
            db.session.flush()
            first = items_of(meeting.id)[0]
            paper = Paper(meeting_id=meeting.id, agenda_item_id=first.id, title="Báo cáo số 12/BC-LĐLĐ",
                          source="upload", added_by_id=secretary.id)
            db.session.add(paper)
            db.session.flush()
            pdf = store_bytes(b"%PDF-1.4 bao cao", "bao-cao.pdf", uploader=secretary, purpose="meeting-paper",
                              media_type="application/pdf")
            db.session.add(PaperVersion(paper_id=paper.id, number=1, file_id=pdf.id, created_by_id=secretary.id))
            meeting.status = status
            meeting.announced_at = meeting.created_at
            db.session.commit()
            return meeting.id

    return make


def items_of(meeting_id: int) -> list[AgendaItem]:
    return list(db.session.execute(db.select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
                                   .order_by(AgendaItem.position)).scalars())


def get(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    assert meeting is not None
    return meeting
