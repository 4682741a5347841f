"""The pages under /meetings as people use them: the form (bad input answered on the form with its message and a
4xx, nothing saved), the calendar by week and month, participants and answers (an answer for someone else
refused), rooms, and the iCalendar feed at its secret address."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from edoc.core.db import db
from meetings.attendance.models import Participant
from meetings.meeting.models import Meeting
from tests.meetings.meeting.conftest import DAY
from tests.support.web import login, post_form


def _form(demo, room, **overrides):
    values = {"title": "Giao ban Thường trực tuần 50", "kind": "regular", "mode": "in_person",
              "day": DAY.isoformat(), "start": "14:00", "end": "16:00", "room_id": room,
              "chair_id": demo["chutich"], "secretary_id": demo["thuky"], "quorum_rule": "half_members",
              "notes": "Các đồng chí chuẩn bị báo cáo tuần."}
    values.update(overrides)
    return values


def _meetings(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(Meeting.id))).scalar_one()


def test_the_form_refuses_bad_input_on_the_form_and_creates_a_meeting_shown_in_the_calendar(app, client, demo,
                                                                                              room, make_meeting):
    make_meeting()  # 08:00-10:00 in the same room
    login(client, "thuky")
    refused = post_form(client, "/meetings/new", _form(demo, room, start="16:00", end="15:00"), page="/meetings/new")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "phải sau thời gian bắt đầu" in page and 'id="meeting-form"' in page and "Giao ban Thường trực" in page
    clash = post_form(client, "/meetings/new", _form(demo, room, start="09:00", end="11:00",
                                                     chair_id=demo["phochutich"]), page="/meetings/new")
    assert clash.status_code == 409
    assert "đã được đặt cho cuộc họp “Hội nghị Ban Thường vụ tháng 12” từ 08:00 đến 10:00" in \
        clash.get_data(as_text=True)
    bad_time = post_form(client, "/meetings/new", _form(demo, room, start="25:00"), page="/meetings/new")
    assert bad_time.status_code == 400 and "Giờ bắt đầu: nhập giờ dạng HH:MM" in bad_time.get_data(as_text=True)
    assert _meetings(app) == 1

    made = post_form(client, "/meetings/new", _form(demo, room), page="/meetings/new")
    assert made.status_code == 302
    week = client.get(f"/meetings/?view=week&date={DAY.isoformat()}").get_data(as_text=True)
    month = client.get(f"/meetings/?view=month&date={DAY.isoformat()}").get_data(as_text=True)
    for page in (week, month):
        assert "Giao ban Thường trực tuần 50" in page and "14:00–16:00" in page
    other_week = client.get(f"/meetings/?view=week&date={(DAY + timedelta(days=7)).isoformat()}")
    assert "Giao ban Thường trực tuần 50" not in other_week.get_data(as_text=True)


def test_participants_answers_and_deputies_through_the_meeting_page(app, client, demo, make_meeting):
    meeting_id = make_meeting()
    login(client, "thuky")
    page = f"/meetings/{meeting_id}"
    assert post_form(client, f"{page}/participants", {"user_ids": [demo["phochutich"], demo["daibieu"]],
                                                       "role": "member"}, page=page).status_code == 302
    guest = post_form(client, f"{page}/participants/guest", {"guest_name": "Bà Lê Thị Khách",
                                                             "guest_email": "not-an-email"}, page=page)
    assert guest.status_code == 400 and "Địa chỉ e-mail của khách mời không hợp lệ" in guest.get_data(as_text=True)
    # daibieu does not see a meeting not yet announced (404), then does once it is
    other = app.test_client()
    login(other, "daibieu")
    assert other.get(page).status_code == 404
    # announcing drafts the Giấy mời (the rendering is tested in test_invitation); here only the page's answer
    with app.app_context():
        m = db.session.get(Meeting, meeting_id)
        m.status, m.announced_at = "announced", m.created_at
        db.session.commit()
        daibieu_seat = db.session.execute(select(Participant.id).where(
            Participant.meeting_id == meeting_id, Participant.user_id == demo["daibieu"])).scalar_one()
        phochutich_seat = db.session.execute(select(Participant.id).where(
            Participant.meeting_id == meeting_id, Participant.user_id == demo["phochutich"])).scalar_one()
    assert other.get(page).status_code == 200
    no_reason = post_form(other, f"{page}/answer", {"answer": "absent"}, page=page)
    assert no_reason.status_code == 400 and "Nêu lý do vắng mặt" in no_reason.get_data(as_text=True)
    for_someone_else = post_form(other, f"{page}/answer", {"answer": "absent", "reason": "Bận",
                                                           "participant_id": phochutich_seat}, page=page)
    assert for_someone_else.status_code == 403
    assert "chỉ trả lời được giấy mời của chính mình" in for_someone_else.get_data(as_text=True)
    deputy = post_form(other, f"{page}/answer", {"answer": "deputy", "deputy_user_id": demo["chuyenvien"]},
                       page=page)
    assert deputy.status_code == 302
    with app.app_context():
        seats = {p.user_id: p for p in db.session.execute(select(Participant).where(
            Participant.meeting_id == meeting_id)).scalars()}
        assert seats[demo["daibieu"]].answer == "deputy"
        assert seats[demo["phochutich"]].answer == "pending"  # the refused answer changed nothing
        assert seats[demo["chuyenvien"]].deputy_for_id == daibieu_seat
        assert seats[demo["chuyenvien"]].deputy_approved is None
        deputy_id = seats[demo["chuyenvien"]].id
    # the chair consents; the deputy then sees the meeting
    chair = app.test_client()
    login(chair, "chutich")
    assert post_form(chair, f"{page}/participants/{deputy_id}/deputy", {"decision": "approve"},
                     page=page).status_code == 302
    with app.app_context():
        assert db.session.get(Participant, deputy_id).deputy_approved is True
    stand_in = app.test_client()
    login(stand_in, "chuyenvien")
    shown = stand_in.get(page).get_data(as_text=True)
    assert "dự thay Hoàng Văn Nam" in shown and "chủ trì đã đồng ý" in shown


def test_rooms_are_the_offices_and_the_ical_feed_lives_at_its_secret_address(app, client, demo, make_meeting):
    login(client, "thuky")
    refused = post_form(client, "/meetings/rooms", {"name": "Phòng khác", "capacity": "12"}, page="/meetings/rooms")
    assert refused.status_code == 403
    clerk = app.test_client()
    login(clerk, "vanthu")
    bad = post_form(clerk, "/meetings/rooms", {"name": "Hội trường", "capacity": "-3"}, page="/meetings/rooms")
    assert bad.status_code == 400 and "Sức chứa từ 0 đến 100000" in bad.get_data(as_text=True)
    assert post_form(clerk, "/meetings/rooms", {"name": "Hội trường lớn", "capacity": "120",
                                                "equipment": "Âm thanh\nMàn hình LED"},
                     page="/meetings/rooms").status_code == 302
    assert "Hội trường lớn" in client.get("/meetings/rooms").get_data(as_text=True)

    make_meeting(title="Họp chi bộ, tháng 12; kỳ 2")
    html = post_form(client, "/meetings/feed", {}, page="/meetings/feed").get_data(as_text=True)
    address = html.split('id="feed-address">')[1].split("<")[0]
    path = address.split("://", 1)[1].split("/", 1)[1]
    feed = app.test_client().get("/" + path)  # no sign-in: a calendar application
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    text = feed.get_data(as_text=True)
    assert "SUMMARY:Họp chi bộ\\, tháng 12\\; kỳ 2" in text and "BEGIN:VEVENT" in text
    assert "DTSTART:" in text and text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    # a new address ends the old one
    post_form(client, "/meetings/feed", {}, page="/meetings/feed")
    assert app.test_client().get("/" + path).status_code == 404
