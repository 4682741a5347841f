"""The room page: reached from the meeting's page, open to participants, "not found" to anyone else."""

from __future__ import annotations


def test_the_meeting_page_leads_to_the_room_and_outsiders_find_nothing(live_room):
    room = f"/meetings/{live_room.meeting_id}/room"
    delegate = live_room.signed_in("m2")
    assert f'href="{room}"' in delegate.get(f"/meetings/{live_room.meeting_id}").get_data(as_text=True)
    page = delegate.get(room)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Hội nghị Ban Chấp hành mở rộng" in html and "Điểm danh" in html
    assert 'src="/static/js/meeting-room.js"' in html and "<script>" not in html  # no inline script (CSP)
    outsider = live_room.signed_in("outsider")
    assert outsider.get(room).status_code == 404
    assert "Không tìm thấy cuộc họp." in outsider.get(room).get_data(as_text=True)
