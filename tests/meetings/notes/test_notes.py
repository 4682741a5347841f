"""Private notes: each person reads and writes only their own; bad input refused, nothing saved."""

from __future__ import annotations

import pytest

from tests.support.web import csrf_token


def _put(client, path: str, body: object):
    return client.put(path, json=body, headers={"X-CSRFToken": csrf_token(client, path.replace("/notes", "/room")),
                                                "Accept": "application/json"})


def test_notes_are_private(live_room):
    path = f"/meetings/{live_room.meeting_id}/notes"
    m1, m2 = live_room.signed_in("m1"), live_room.signed_in("m2")
    assert _put(m1, path, {"text": "Hỏi lại số liệu trang 4"}).get_json()["text"] == "Hỏi lại số liệu trang 4"
    assert m1.get(path).get_json()["text"] == "Hỏi lại số liệu trang 4"
    assert m2.get(path).get_json() == {"text": "", "updated_at": None}
    _put(m2, path, {"text": "Ghi chú của đại biểu Hai"})
    assert m1.get(path).get_json()["text"] == "Hỏi lại số liệu trang 4"
    assert live_room.signed_in("outsider").get(path).status_code == 404
    # not in the meeting's event log either
    state = m1.get(f"/meetings/{live_room.meeting_id}/live/events?since=0").get_json()
    assert state["events"] == []


@pytest.mark.parametrize(("body", "message"), [
    ({"text": 5}, "Ghi chú phải là văn bản."), ({"text": "x" * 20001}, "Ghi chú dài quá 20000 ký tự."),
    ([1], "Dữ liệu gửi lên không hợp lệ."), ({"text": "a\x07"}, "Ghi chú chứa ký tự điều khiển."),
])
def test_bad_notes_are_refused(live_room, body, message):
    path = f"/meetings/{live_room.meeting_id}/notes"
    client = live_room.signed_in("m1")
    answer = _put(client, path, body)
    assert answer.status_code == 400 and answer.get_json()["error"]["message"] == message
    assert client.get(path).get_json()["text"] == ""
