"""Check-in by oneself, by the secretary, by the door's QR code, and by a deputy for the member; the quorum
counted live against the meeting's rule; bad input and misuse refused on the spot, nothing saved."""

from __future__ import annotations

import re

import pytest

from edoc.core.db import db
from edoc.core.errors import DomainError
from meetings.attendance import checkin
from meetings.live.models import MeetingEvent


def test_check_in_by_oneself_the_secretary_and_a_deputy_counts_the_quorum(live_room):
    app = live_room.app
    with app.app_context():
        meeting = live_room.meeting()
        q = checkin.quorum_of(meeting)
        # chair + m1..m4 vote (the secretary and the guest do not; deputies stand for their member)
        assert (q.members, q.present, q.needed, q.met) == (5, 0, 3, False)
        checkin.check_in(live_room.user("m1"), meeting, status="in_room")
        checkin.check_in(live_room.user("chair"), meeting, status="online")
        row = checkin.check_in(live_room.user("deputy"), meeting, status="in_room")  # for m3
        assert (row.participant_id, row.deputy_id, row.method) == (live_room.participants["m3"],
                                                                    live_room.participants["deputy"], "deputy")
        q = checkin.quorum_of(meeting)
        assert (q.present, q.in_room, q.online, q.met) == (3, 2, 1, True)
        # the secretary marks m2 absent with a reason, then the guest present (guests do not count)
        checkin.check_in(live_room.user("secretary"), meeting, status="absent", reason=" Đi công tác ",
                         participant_id=live_room.participants["m2"])
        checkin.check_in(live_room.user("secretary"), meeting, status="in_room",
                         participant_id=live_room.participants["guest"])
        q = checkin.quorum_of(meeting)
        assert (q.present, q.absent, q.members) == (3, 1, 5)
        assert checkin.statuses(meeting.id)[live_room.participants["m2"]] == "absent"
        # changing one's mind replaces the row: in the room, then online
        checkin.check_in(live_room.user("m1"), meeting, status="online")
        assert checkin.quorum_of(meeting).online == 2
        kinds = [e.type for e in db.session.query(MeetingEvent).filter_by(meeting_id=meeting.id)]
        assert kinds == ["checkin.changed"] * 6
        last = db.session.query(MeetingEvent).filter_by(meeting_id=meeting.id).order_by(MeetingEvent.seq.desc()).first()
        assert last.data["quorum"]["online"] == 2 and last.data["participant"]["status"] == "online"


@pytest.mark.parametrize(("who", "kwargs", "message"), [
    ("pending", {"status": "in_room"}, "Chủ trì chưa đồng ý cho bạn dự thay nên chưa điểm danh được."),
    ("outsider", {"status": "in_room"}, "Bạn không có trong thành phần cuộc họp này."),
    ("m1", {"status": "absent", "reason": "   "}, "Nhập lý do vắng mặt."),
    ("m1", {"status": "absent", "reason": "a\x00b"}, "Lý do vắng mặt chứa ký tự điều khiển."),
    ("m1", {"status": "present"}, "Trạng thái điểm danh không hợp lệ (có mặt, trực tuyến hoặc vắng mặt)."),
    ("m2", {"status": "in_room", "participant": "m1"}, "Chỉ thư ký hoặc chủ trì được điểm danh cho người khác."),
])
def test_refused_check_ins_save_nothing(live_room, who, kwargs, message):
    with live_room.app.app_context():
        if "participant" in kwargs:
            kwargs = dict(kwargs)
            kwargs["participant_id"] = live_room.participants[kwargs.pop("participant")]
        with pytest.raises(DomainError) as refused:
            checkin.check_in(live_room.user(who), live_room.meeting(), **kwargs)
        assert refused.value.message == message
        db.session.rollback()
        assert checkin.statuses(live_room.meeting_id) == {}
        assert db.session.query(MeetingEvent).count() == 0


def test_check_in_is_closed_before_the_announcement_and_after_the_end(live_room):
    with live_room.app.app_context():
        meeting = live_room.meeting()
        for status in ("draft", "ended", "cancelled"):
            meeting.status = status
            with pytest.raises(DomainError, match="Chỉ điểm danh được khi cuộc họp đã thông báo và chưa kết thúc."):
                checkin.check_in(live_room.user("m1"), meeting, status="in_room")


def test_the_door_qr_code_checks_in_whoever_opens_it_signed_in(live_room):
    base = f"/meetings/{live_room.meeting_id}"
    chair = live_room.signed_in("chair")
    page = chair.get(f"{base}/room").get_data(as_text=True)
    url = re.search(r'class="help break">http://localhost(/meetings/\d+/checkin/[^<]+)</p>', page).group(1)
    svg = chair.get(f"{base}/room/door-qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    delegate = live_room.signed_in("m2")
    assert delegate.get(f"{base}/room/door-qr.svg").status_code == 403  # the code is the chair's to show
    assert "Mã QR" not in delegate.get(f"{base}/room").get_data(as_text=True)
    confirm = delegate.get(url).get_data(as_text=True)
    assert "Xác nhận có mặt tại phòng họp" in confirm
    with live_room.app.app_context():
        assert checkin.statuses(live_room.meeting_id) == {}  # opening the link alone checks nobody in
    token = re.search(r'name="csrf_token" value="([^"]+)"', confirm).group(1)
    done = delegate.post(url, data={"csrf_token": token})
    assert done.status_code == 200 and "Đã điểm danh: Có mặt tại phòng họp." in done.get_data(as_text=True)
    with live_room.app.app_context():
        assert checkin.statuses(live_room.meeting_id) == {live_room.participants["m2"]: "in_room"}
    # a forged token, or this meeting's token on another meeting's address: not found, nothing checked in
    outsider = live_room.signed_in("outsider")
    assert delegate.get(f"{base}/checkin/forged.token").status_code == 404
    other = url.replace(f"/meetings/{live_room.meeting_id}/", f"/meetings/{live_room.other_meeting_id}/")
    assert outsider.get(other).status_code == 404
    assert outsider.get(url).status_code == 404  # not a participant: the meeting is not found for them
