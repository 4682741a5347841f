"""Creating meetings: the calendar's rules (end after start, a room or a chair booked once at a time), the
chair and secretary seated as participants, and the listing page and API."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import Conflict, ValidationFailed
from meetings.attendance.models import Participant
from meetings.meeting import service
from meetings.meeting.models import Meeting
from tests.documents.conftest import api_token
from tests.meetings.meeting.conftest import DAY, meeting_data
from tests.support.web import login


def _count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(Meeting.id))).scalar_one()


def test_a_meeting_seats_its_chair_and_secretary_and_lists_for_them_only(app, client, demo, make_meeting):
    meeting_id = make_meeting()
    with app.app_context():
        seats = {(p.user_id, p.role, p.votes) for p in db.session.execute(
            select(Participant).where(Participant.meeting_id == meeting_id)).scalars()}
    assert seats == {(demo["chutich"], "chair", True), (demo["thuky"], "secretary", False)}

    login(client, "thuky")
    page = client.get(f"/meetings/?date={DAY.isoformat()}").get_data(as_text=True)
    assert "Hội nghị Ban Thường vụ tháng 12" in page and "Phòng họp tầng 2" in page
    listed = client.get("/api/v1/meetings", headers=api_token(app, demo["daibieu"])).get_json()
    assert listed == {"meetings": []}  # a draft, and daibieu is not invited
    assert client.get(f"/api/v1/meetings/{meeting_id}", headers=api_token(app, demo["daibieu"])).status_code == 404
    shown = client.get(f"/api/v1/meetings/{meeting_id}", headers=api_token(app, demo["chutich"])).get_json()
    assert shown["status"] == "draft" and shown["chair_id"] == demo["chutich"]


def test_end_before_start_is_refused_and_nothing_is_saved(app, demo, room):
    with app.app_context():
        actor = db.session.get(User, demo["thuky"])
        with pytest.raises(ValidationFailed) as refused:
            service.create_meeting(actor, meeting_data(demo, start=(10, 0), end=(9, 0), room_id=room))
        db.session.rollback()
    assert refused.value.field == "ends_at"
    assert "phải sau thời gian bắt đầu" in refused.value.message
    assert _count(app) == 0


def test_a_room_or_a_chair_booked_twice_is_refused_with_the_clash_shown(app, demo, room, make_meeting):
    make_meeting()
    with app.app_context():
        actor = db.session.get(User, demo["vanthu"])
        with pytest.raises(Conflict) as room_clash:
            service.create_meeting(actor, meeting_data(demo, start=(9, 30), end=(11, 0), room_id=room,
                                                       chair_id=demo["phochutich"]))
        db.session.rollback()
        with pytest.raises(Conflict) as chair_clash:
            service.create_meeting(actor, meeting_data(demo, start=(9, 0), end=(9, 30), room_id=None,
                                                       location="Hội trường UBND huyện"))
        db.session.rollback()
        # touching ends do not overlap: 10:00-11:00 after 8:00-10:00 is fine in the same room with the same chair
        service.create_meeting(actor, meeting_data(demo, start=(10, 0), end=(11, 0), room_id=room))
        db.session.commit()
    assert "Phòng họp “Phòng họp tầng 2” đã được đặt cho cuộc họp “Hội nghị Ban Thường vụ tháng 12”" \
        in room_clash.value.message
    assert "từ 08:00 đến 10:00" in room_clash.value.message
    assert "Người chủ trì Nguyễn Văn Hùng đã chủ trì" in chair_clash.value.message
    assert _count(app) == 2


def test_two_secretaries_booking_the_same_room_at_the_same_instant_one_wins(app, demo, room):
    """Two requests, each with its own connection, released together: one meeting is made, the other is told the
    room is taken by it, on SQLite and on PostgreSQL (where the check and the insert run under the room's lock)."""
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def book(actor: str, chair: str) -> None:
        with app.app_context():
            user = db.session.get(User, demo[actor])
            data = meeting_data(demo, room_id=room, chair_id=demo[chair], title=f"Họp do {actor} đặt")
            db.session.rollback()  # end the reading transaction: on SQLite it holds the write turn
            barrier.wait(timeout=60)
            try:
                outcomes.append(service.create_meeting(user, data).id)
            except Conflict as exc:
                db.session.rollback()
                outcomes.append(exc)

    threads = [threading.Thread(target=book, args=("thuky", "chutich")),
               threading.Thread(target=book, args=("vanthu", "phochutich"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    made = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    with app.app_context():
        winner = db.session.get(Meeting, made[0])
        assert f"đã được đặt cho cuộc họp “{winner.title}”" in refused[0].message
    assert _count(app) == 1
