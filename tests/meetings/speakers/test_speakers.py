"""The speakers' queue: asking, points of order first, the chair reordering and giving the floor, the time kept
for the record; refusals change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from edoc.core.db import db
from edoc.core.errors import DomainError
from meetings.room import service as room
from meetings.speakers import service
from meetings.speakers.models import SpeakerRequest


def test_queue_floor_and_record(live_room):
    with live_room.app.app_context():
        meeting = live_room.meeting()
        room.open_item(live_room.user("chair"), meeting, live_room.items[0])
        a = service.request_floor(live_room.user("m1"), meeting, "speak")
        b = service.request_floor(live_room.user("m2"), meeting, "speak")
        c = service.request_floor(live_room.user("guest"), meeting, "order")  # a point of order goes first
        d = service.request_floor(live_room.user("deputy"), meeting, "order")  # after the earlier one
        queue = service.speakers_json(meeting.id)["queue"]
        assert [r["id"] for r in queue] == [c.id, d.id, a.id, b.id]
        assert queue[0]["item"] == "Báo cáo kết quả công tác năm 2026" and queue[0]["limit_seconds"] == 120
        with pytest.raises(DomainError, match="Bạn đã đăng ký phát biểu, đang chờ đến lượt."):
            service.request_floor(live_room.user("m1"), meeting, "speak")
        db.session.rollback()
        service.reorder(live_room.user("secretary"), meeting, [b.id, a.id, c.id, d.id])
        service.withdraw(live_room.user("deputy"), meeting)
        assert [r["id"] for r in service.speakers_json(meeting.id)["queue"]] == [b.id, a.id, c.id]
        service.give_floor(live_room.user("chair"), meeting, b.id)
        floor = service.speakers_json(meeting.id)["floor"]
        assert floor["name"] == "Đại biểu Hai" and floor["started_at"]
        # two minutes pass; the chair gives the floor to the next, which ends m2's turn
        row = db.session.get(SpeakerRequest, b.id)
        row.started_at -= timedelta(seconds=125)
        room.open_item(live_room.user("chair"), meeting, live_room.items[1])
        service.give_floor(live_room.user("chair"), meeting, a.id)
        service.end_floor(live_room.user("chair"), meeting)
        record = service.record_of(meeting.id)
        assert [(r["name"], r["item"]) for r in record] == [("Đại biểu Hai", "Báo cáo kết quả công tác năm 2026"),
                                                            ("Đại biểu Một", "Thảo luận phương hướng năm 2027")]
        assert 125 <= record[0]["seconds"] < 140 and record[1]["seconds"] < 10
        assert service.speakers_json(meeting.id)["floor"] is None


def test_a_delegate_cannot_lead_the_queue_and_a_stale_order_is_refused(live_room):
    with live_room.app.app_context():
        meeting = live_room.meeting()
        a = service.request_floor(live_room.user("m1"), meeting, "speak")
        with pytest.raises(DomainError, match="Chỉ chủ trì hoặc thư ký được điều hành phát biểu."):
            service.give_floor(live_room.user("m1"), meeting, a.id)
        db.session.rollback()
        b = service.request_floor(live_room.user("m2"), meeting, "speak")
        with pytest.raises(DomainError, match="Danh sách đã thay đổi"):
            service.reorder(live_room.user("chair"), meeting, [a.id])  # b arrived meanwhile
        db.session.rollback()
        with pytest.raises(DomainError, match="Danh sách đã thay đổi"):
            service.reorder(live_room.user("chair"), meeting, [a.id, a.id])
        db.session.rollback()
        assert [r["id"] for r in service.speakers_json(meeting.id)["queue"]] == [a.id, b.id]
