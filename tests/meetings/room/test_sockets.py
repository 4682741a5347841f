"""The room's Socket.IO handlers with the real app (Flask-SocketIO's test client, signed in through the login
page): joining only after the meeting's policy says yes, the chair moving the agenda and every joined page
hearing it, and every misuse and forged payload refused with a message, nothing changed, nothing sent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from edoc.core.db import db, utcnow
from meetings.live import events
from meetings.papers.models import Paper, PaperRelease


def _events(client: Any) -> list[dict[str, Any]]:
    return [r["args"][0] for r in client.get_received() if r["name"] == "meeting.event"]


def _seq(live_room) -> int:
    with live_room.app.app_context():
        return events.last_seq(live_room.meeting_id)


def test_the_chair_moves_the_agenda_and_every_joined_page_follows(live_room):
    chair, delegate, deputy = (live_room.socket(n) for n in ("chair", "m2", "deputy"))
    for client in (chair, delegate, deputy):
        assert client.emit("meeting.join", {"meeting_id": live_room.meeting_id}, callback=True) == {"ok": True,
                                                                                                      "seq": 0}
    outsider = live_room.socket("outsider")  # in another meeting: not in this one's room
    assert outsider.emit("meeting.join", {"meeting_id": live_room.meeting_id}, callback=True) == {
        "ok": False, "error": "Không tìm thấy cuộc họp."}

    answer = chair.emit("meeting.agenda.open", {"meeting_id": live_room.meeting_id, "item_id": live_room.items[1]},
                        callback=True)
    assert answer == {"ok": True, "item_id": live_room.items[1]}
    # the presenter (m1, of the second item) turns the page; so may the chair
    presenter = live_room.socket("m1")
    assert presenter.emit("meeting.presenter.page", {"meeting_id": live_room.meeting_id, "page": 4},
                          callback=True)["ok"]
    for client in (chair, delegate, deputy):
        got = _events(client)
        assert [(e["seq"], e["type"]) for e in got] == [(1, "agenda.opened"), (2, "presenter.page")]
        assert got[0]["data"]["item"]["title"] == "Thảo luận phương hướng năm 2027"
        assert got[1]["data"] == {"paper_id": None, "page": 4, "item_id": live_room.items[1]}
    assert _events(outsider) == []

    # late joiner: the snapshot has the current item and page at seq 2
    state = live_room.signed_in("m4").get(f"/meetings/{live_room.meeting_id}/live/state").get_json()
    assert state["seq"] == 2 and state["current_item"]["id"] == live_room.items[1]
    assert state["presenter"] == {"paper_id": None, "page": 4}
    assert state["me"]["can_lead"] is False and state["attendance"]["quorum"]["members"] == 5
    missed = live_room.signed_in("m4").get(f"/meetings/{live_room.meeting_id}/live/events?since=1").get_json()
    assert [e["type"] for e in missed["events"]] == ["presenter.page"] and missed["complete"]


REFUSED: list[tuple[str, str, Any, str]] = [
    # (who, event, payload, message)
    ("m2", "meeting.agenda.open", {"item_id": "ITEM0"}, "Chỉ chủ trì hoặc thư ký được chuyển nội dung họp."),
    ("m2", "meeting.presenter.page", {"page": 3},
     "Chỉ người trình bày nội dung đang họp (hoặc chủ trì, thư ký) được chuyển trang."),
    ("m2", "meeting.checkin", {"participant_id": "P:m1", "status": "in_room"},
     "Chỉ thư ký hoặc chủ trì được điểm danh cho người khác."),
    ("m2", "meeting.speakers.give", {"request_id": 1}, "Chỉ chủ trì hoặc thư ký được điều hành phát biểu."),
    ("m2", "meeting.speakers.reorder", {"order": []}, "Chỉ chủ trì hoặc thư ký được điều hành phát biểu."),
    ("m2", "meeting.speakers.end", {}, "Chỉ chủ trì hoặc thư ký được điều hành phát biểu."),
    ("outsider", "meeting.agenda.open", {"item_id": "ITEM0"}, "Không tìm thấy cuộc họp."),
    ("outsider", "meeting.speakers.request", {"kind": "speak"}, "Không tìm thấy cuộc họp."),
    ("outsider", "meeting.checkin", {"status": "in_room"}, "Không tìm thấy cuộc họp."),
    ("chair", "meeting.agenda.open", {"item_id": "OTHER_ITEM"}, "Không tìm thấy nội dung này trong chương trình họp."),
    ("chair", "meeting.agenda.open", {"item_id": "1"}, "Nội dung họp không hợp lệ."),
    ("chair", "meeting.agenda.open", {"item_id": True}, "Nội dung họp không hợp lệ."),
    ("chair", "meeting.agenda.open", {"item_id": 2**40}, "Nội dung họp không hợp lệ."),
    ("chair", "meeting.presenter.page", {"page": 0}, "Số trang không hợp lệ."),
    ("chair", "meeting.presenter.page", {"page": "2"}, "Số trang không hợp lệ."),
    ("chair", "meeting.presenter.page", {"page": 2, "paper_id": [1]}, "Tài liệu không hợp lệ."),
    ("chair", "meeting.checkin", {"participant_id": "P:outsider-other", "status": "in_room"},
     "Đại biểu không hợp lệ."),
    ("chair", "meeting.checkin", {"participant_id": "P:m1", "status": "here"},
     "Trạng thái điểm danh không hợp lệ (có mặt, trực tuyến hoặc vắng mặt)."),
    ("m1", "meeting.checkin", {"status": "absent"}, "Nhập lý do vắng mặt."),
    ("m1", "meeting.checkin", {"status": "absent", "reason": {"x": 1}}, "Lý do vắng mặt không hợp lệ."),
    ("m1", "meeting.checkin", {"status": "absent", "reason": "x" * 501}, "Lý do vắng mặt dài quá 500 ký tự."),
    ("guest", "meeting.speakers.request", {"kind": "shout"}, "Loại đăng ký phát biểu không hợp lệ."),
    ("chair", "meeting.speakers.give", {"request_id": "1"}, "Đăng ký phát biểu không hợp lệ."),
    ("chair", "meeting.speakers.give", {"request_id": 999},
     "Không tìm thấy đăng ký phát biểu này trong danh sách chờ."),
    ("chair", "meeting.speakers.reorder", {"order": "1,2"}, "Thứ tự phát biểu không hợp lệ."),
    ("chair", "meeting.speakers.reorder", {"order": [5]},
     "Danh sách đã thay đổi; hãy xếp lại theo danh sách mới nhất."),
    ("chair", "meeting.speakers.end", {}, "Hiện không có ai đang phát biểu."),
    ("m2", "meeting.speakers.withdraw", {}, "Bạn không có đăng ký phát biểu nào đang chờ."),
]
SHAPES: list[tuple[Any, str]] = [
    (None, "Dữ liệu gửi lên không hợp lệ."), ([1, 2], "Dữ liệu gửi lên không hợp lệ."),
    ("meeting", "Dữ liệu gửi lên không hợp lệ."), ({}, "Cuộc họp không hợp lệ."),
    ({"meeting_id": "1"}, "Cuộc họp không hợp lệ."), ({"meeting_id": True}, "Cuộc họp không hợp lệ."),
    ({"meeting_id": -1}, "Cuộc họp không hợp lệ."), ({"meeting_id": 10**30}, "Cuộc họp không hợp lệ."),
    ({"meeting_id": 1.5}, "Cuộc họp không hợp lệ."), ({"meeting_id": 987654}, "Không tìm thấy cuộc họp."),
]
EVENT_NAMES = ["meeting.join", "meeting.leave", "meeting.agenda.open", "meeting.presenter.page", "meeting.checkin",
               "meeting.speakers.request", "meeting.speakers.withdraw", "meeting.speakers.reorder",
               "meeting.speakers.give", "meeting.speakers.end", "meeting.vote.cast"]


def _resolve(live_room, payload: dict[str, Any]) -> dict[str, Any]:
    values = {"ITEM0": live_room.items[0], "OTHER_ITEM": live_room.other_item}
    out = {"meeting_id": live_room.meeting_id}
    for key, value in payload.items():
        if isinstance(value, str) and value.startswith("P:"):
            name = value[2:]
            value = live_room.participants.get(name, -5) if name != "outsider-other" else "x"
        out[key] = values.get(value, value) if isinstance(value, str) else value
    return out


def test_misuse_and_forged_payloads_are_refused_with_a_message_and_change_nothing(live_room):
    sockets = {name: live_room.socket(name) for name in ("chair", "m1", "m2", "guest", "outsider")}
    listener = live_room.socket("m4")
    assert listener.emit("meeting.join", {"meeting_id": live_room.meeting_id}, callback=True)["ok"]
    before = _seq(live_room)
    for who, name, payload, message in REFUSED:
        answer = sockets[who].emit(name, _resolve(live_room, payload), callback=True)
        assert answer == {"ok": False, "error": message}, (who, name, payload)
    for name in EVENT_NAMES:
        for payload, message in SHAPES:
            assert sockets["chair"].emit(name, payload, callback=True) == {"ok": False, "error": message}, (name,
                                                                                                           payload)
    # joining another meeting's room through a forged id: refused, and that room's events never arrive
    assert sockets["m2"].emit("meeting.join", {"meeting_id": live_room.other_meeting_id}, callback=True) == {
        "ok": False, "error": "Không tìm thấy cuộc họp."}
    assert _seq(live_room) == before
    assert _events(listener) == []


@pytest.mark.parametrize("since", ["abc", "-1", "1" * 11])
def test_events_since_a_bad_number_is_a_400_and_another_meeting_a_404(live_room, since):
    client = live_room.signed_in("m2")
    answer = client.get(f"/meetings/{live_room.meeting_id}/live/events?since={since}",
                        headers={"Accept": "application/json"})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["message"] == ("Tham số since phải là số thứ tự sự kiện "
                                                     "(số nguyên không âm).")
    for path in ("live/state", "live/events?since=0", "room"):
        assert client.get(f"/meetings/{live_room.other_meeting_id}/{path}").status_code == 404


def test_the_snapshot_lists_the_papers_each_reader_may_read_by_item(live_room):
    with live_room.app.app_context():
        item = live_room.items[1]
        common = dict(meeting_id=live_room.meeting_id, agenda_item_id=item, source="upload",
                      added_by_id=live_room.users["secretary"])
        db.session.add_all([Paper(title="Dự thảo phương hướng 2027", position=1, **common),
                            Paper(title="Tài liệu mật của Ban Thường vụ", position=2, restricted=True, **common),
                            PaperRelease(meeting_id=live_room.meeting_id, release_at=utcnow() - timedelta(days=3),
                                         set_by_id=live_room.users["secretary"])])
        db.session.commit()
    path = f"/meetings/{live_room.meeting_id}/live/state"
    delegate = live_room.signed_in("m2").get(path).get_json()["papers"]
    assert [p["title"] for p in delegate[str(item)]] == ["Dự thảo phương hướng 2027"]
    assert delegate[str(item)][0]["url"].startswith(f"/meetings/{live_room.meeting_id}/papers/")
    chair = live_room.signed_in("chair").get(path).get_json()["papers"]
    assert len(chair[str(item)]) == 2 and str(live_room.items[0]) not in chair


def test_the_chairs_action_reads_meeting_item_and_presenter_in_one_statement(live_room):
    """The chair's hot path (a thousand pages wait on it): before the one statement that moves the live row and
    appends the event, only the session's user and one read of the meeting, the item and its presenter."""
    chair = live_room.socket("chair")
    assert chair.emit("meeting.join", {"meeting_id": live_room.meeting_id}, callback=True)["ok"]
    # the meeting's first event makes its live row: the ones after are the hot path
    assert chair.emit("meeting.agenda.open", {"meeting_id": live_room.meeting_id, "item_id": live_room.items[0]},
                      callback=True)["ok"]
    with live_room.app.app_context():
        engine = db.engine
    sent: list[str] = []

    def keep(conn: object, cursor: object, statement: str, *args: object) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        answer = chair.emit("meeting.agenda.open", {"meeting_id": live_room.meeting_id,
                                                    "item_id": live_room.items[1]}, callback=True)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert answer == {"ok": True, "item_id": live_room.items[1]}
    reads = [s for s in sent if s.startswith("SELECT")]
    assert len(reads) == 2, reads  # the session's user; the meeting with its item and the item's presenter
    assert "FROM user_account JOIN user_session" in reads[0]
    assert "FROM meeting LEFT OUTER JOIN agenda_item" in reads[1] and "user_account" in reads[1]
    writes = [s for s in sent if not s.startswith("SELECT")]
    # PostgreSQL: one WITH … UPDATE … INSERT; SQLite (no UPDATE inside a WITH): the UPDATE, then the INSERT
    assert len(writes) == (1 if engine.dialect.name == "postgresql" else 2), writes
    got = _events(chair)
    assert got[-1]["data"]["item"]["presenter"] == "Đại biểu Một"  # from the one read: no query of its own


def test_the_one_read_decides_nothing_an_item_of_another_meeting_is_still_not_found(live_room):
    chair = live_room.socket("chair")
    for item in (live_room.other_item, 987654):
        assert chair.emit("meeting.agenda.open", {"meeting_id": live_room.meeting_id, "item_id": item},
                          callback=True) == {"ok": False,
                                             "error": "Không tìm thấy nội dung này trong chương trình họp."}
    # a delegate of this meeting and not of the other: the read finds the other meeting's row, the policy says
    # "not found" as before
    delegate = live_room.socket("m2")
    assert delegate.emit("meeting.agenda.open", {"meeting_id": live_room.other_meeting_id,
                                                 "item_id": live_room.other_item}, callback=True) == {
        "ok": False, "error": "Không tìm thấy cuộc họp."}
    assert _seq(live_room) == 0
