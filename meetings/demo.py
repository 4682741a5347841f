"""The demo's meeting (``edoc demo``): the Ban Thường vụ of LĐLĐ huyện Gia Lâm meets a week ahead in its meeting
room, with its members, the chair of a CĐCS and an outside guest invited, an agenda with a sub-item, and its Giấy
mời issued through the whole outgoing way (submitted, approved and signed by the chair, numbered and sealed by the
clerk), so the live room and the papers have something to open. Idempotent: made once per organisation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.clock import vietnam_today
from edoc.core.db import commit, db
from edoc.documents import actions, review
from edoc.documents.models import OutgoingDocument
from edoc.documents.signing import sign_one
from edoc.organisations.models import Organisation
from edoc.signatures.devca import DEMO_PIN
from meetings.agenda.models import AgendaItem
from meetings.meeting import invitations, service
from meetings.meeting import participants as attendance
from meetings.meeting.models import Meeting, Room

TITLE = "Hội nghị Ban Thường vụ Liên đoàn Lao động huyện tháng 12 năm 2026"
ROOM = "Phòng họp tầng 2"
AGENDA = [
    ("Báo cáo kết quả hoạt động công đoàn năm 2026", "report", "phochutich", 30, []),
    ("Thảo luận phương hướng, nhiệm vụ năm 2027", "discussion", "chutich", 45,
     [("Chương trình “Tết Sum vầy” năm 2027", "discussion", "chuyenvien", 20)]),
    ("Biểu quyết thông qua Chương trình công tác năm 2027", "decision", "chutich", 15, []),
]


def load_demo_meeting(org: Organisation) -> list[str]:
    if db.session.execute(select(Meeting.id).where(Meeting.organisation_id == org.id, Meeting.title == TITLE)
                          ).first():
        return []
    people = {u.username: u for u in db.session.execute(select(User).where(User.organisation_id == org.id))
              .scalars()}
    secretary, chair, clerk = people["thuky"], people["chutich"], people["vanthu"]
    room = db.session.execute(select(Room).where(Room.organisation_id == org.id, Room.name == ROOM)
                              ).scalar_one_or_none()
    if room is None:
        room = service.create_room(clerk, service.RoomData(
            name=ROOM, capacity=30, equipment="Màn hình 86 inch\nMáy chiếu\nHệ thống họp trực tuyến\nMicro đại biểu"))
    day = vietnam_today() + timedelta(days=7)
    while day.weekday() >= 5:  # a working day
        day += timedelta(days=1)
    meeting = service.create_meeting(secretary, service.MeetingData(
        title=TITLE, kind="regular", mode="hybrid", starts_at=service.vietnam_moment(day, 8, 0),
        ends_at=service.vietnam_moment(day, 11, 30), room_id=room.id, online_link="https://hop.ldldgialam.example.vn/btv",
        chair_id=chair.id, secretary_id=secretary.id, quorum_rule="two_thirds_members",
        notes="Đề nghị các đồng chí nghiên cứu tài liệu trên hệ thống trước cuộc họp."))
    attendance.add_people(secretary, meeting, [people["phochutich"].id, people["chuyenvien"].id], "member")
    attendance.add_people(secretary, meeting, [people["daibieu"].id], "guest")
    attendance.add_guest(secretary, meeting, "Ông Trần Văn Bình", "Công ty Cổ phần Vận tải Gia Lâm",
                         "binh.tv@vantaigl.example.vn")
    for position, (title, kind, presenter, minutes, children) in enumerate(AGENDA, start=1):
        item = AgendaItem(meeting_id=meeting.id, position=position, title=title, kind=kind,
                          presenter_user_id=people[presenter].id, planned_minutes=minutes)
        db.session.add(item)
        db.session.flush()
        for sub, (sub_title, sub_kind, sub_presenter, sub_minutes) in enumerate(children, start=1):
            db.session.add(AgendaItem(meeting_id=meeting.id, parent_id=item.id, position=sub, title=sub_title,
                                      kind=sub_kind, presenter_user_id=people[sub_presenter].id,
                                      planned_minutes=sub_minutes))
    commit()
    invitation = invitations.announce(secretary, meeting)
    doc = db.session.get(OutgoingDocument, invitation.document_id)
    assert doc is not None
    review.submit(secretary, doc)
    review.approve(chair, doc)
    commit()
    sign_one(chair, doc, DEMO_PIN)
    commit()
    actions.issue_document(clerk, doc)
    return [f"Cuộc họp: {TITLE} ({day:%d/%m/%Y}, {ROOM}), Giấy mời {doc.reference} đã ban hành"]
