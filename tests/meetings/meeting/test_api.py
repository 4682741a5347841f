"""The meetings API as a client uses it: create (bad input and a double booking refused with a 4xx naming the
field, nothing saved), participants, an answer (for someone else refused), rooms, the calendar's period; and the
paths in openapi.json."""

from __future__ import annotations

from sqlalchemy import func, select

from edoc.core.db import db
from meetings.meeting.models import Meeting
from tests.documents.conftest import api_token
from tests.meetings.meeting.conftest import DAY


def _body(demo, room, **overrides):
    values = {"title": "Hội nghị Ban Chấp hành mở rộng", "kind": "conference", "mode": "hybrid",
              "starts_at": f"{DAY.isoformat()}T13:30:00+07:00", "ends_at": f"{DAY.isoformat()}T17:00:00+07:00",
              "room_id": room, "online_link": "https://hop.example.vn/bch", "chair_id": demo["chutich"],
              "secretary_id": demo["thuky"]}
    values.update(overrides)
    return values


def test_meetings_through_the_api(app, client, demo, room):
    secretary = api_token(app, demo["thuky"])
    clerk = api_token(app, demo["vanthu"])
    delegate = api_token(app, demo["daibieu"])
    bad = client.post("/api/v1/meetings", json=_body(demo, room, ends_at=f"{DAY.isoformat()}T13:00:00+07:00"),
                      headers=secretary)
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "ends_at"
    typed = client.post("/api/v1/meetings", json=_body(demo, room, chair_id="chutich"), headers=secretary)
    assert typed.status_code == 400 and typed.get_json()["error"]["field"] == "chair_id"
    assert client.post("/api/v1/meetings", json=_body(demo, room), headers=delegate).status_code == 403
    made = client.post("/api/v1/meetings", json=_body(demo, room), headers=secretary)
    assert made.status_code == 201, made.get_json()
    meeting = made.get_json()
    assert meeting["status"] == "draft" and meeting["starts_at"].startswith(f"{DAY.isoformat()}T06:30:00")
    clash = client.post("/api/v1/meetings", json=_body(demo, room, chair_id=demo["phochutich"],
                                                       starts_at=f"{DAY.isoformat()}T16:00:00"), headers=clerk)
    assert clash.status_code == 409 and clash.get_json()["error"]["field"] == "room_id"
    assert "từ 13:30 đến 17:00" in clash.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.execute(select(func.count(Meeting.id))).scalar_one() == 1

    base = f"/api/v1/meetings/{meeting['id']}"
    stale = client.patch(base, json={"title": "Đổi tên", "version": 99}, headers=secretary)
    assert stale.status_code == 409 and stale.get_json()["error"]["field"] == "version"
    renamed = client.patch(base, json={"title": "Hội nghị BCH mở rộng lần 2", "version": meeting["version"]},
                           headers=secretary)
    assert renamed.status_code == 200 and renamed.get_json()["version"] == meeting["version"] + 1
    added = client.post(f"{base}/participants", json={"user_ids": [demo["daibieu"], demo["phochutich"]]},
                        headers=secretary)
    assert added.status_code == 201 and len(added.get_json()["added"]) == 2
    both = client.post(f"{base}/participants", json={"user_ids": [demo["daibieu"]], "guest": {"name": "A"}},
                       headers=secretary)
    assert both.status_code == 400
    assert client.get(base, headers=delegate).status_code == 404  # not announced: invisible to the invited
    with app.app_context():
        m = db.session.get(Meeting, meeting["id"])
        m.status, m.announced_at = "announced", m.created_at
        db.session.commit()
    people = client.get(f"{base}/participants", headers=delegate).get_json()["participants"]
    other_seat = next(p["id"] for p in people if p["user_id"] == demo["phochutich"])
    for_other = client.post(f"{base}/answer", json={"answer": "attend", "participant_id": other_seat},
                            headers=delegate)
    assert for_other.status_code == 403
    online = client.post(f"{base}/answer", json={"answer": "attend_online"}, headers=delegate)
    assert online.status_code == 200 and online.get_json()["answer"] == "attend_online"
    week = client.get(f"/api/v1/meetings?date={DAY.isoformat()}&view=week&scope=mine", headers=delegate)
    assert [m["id"] for m in week.get_json()["meetings"]] == [meeting["id"]]

    assert client.post("/api/v1/meetings/rooms", json={"name": "Phòng B"}, headers=secretary).status_code == 403
    new_room = client.post("/api/v1/meetings/rooms", json={"name": "Phòng B", "capacity": 12,
                                                           "equipment": ["Tivi"]}, headers=clerk)
    assert new_room.status_code == 201 and new_room.get_json()["equipment"] == ["Tivi"]

    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/meetings", "/meetings/{meeting_id}", "/meetings/{meeting_id}/participants",
                 "/meetings/{meeting_id}/answer", "/meetings/rooms", "/meetings/{meeting_id}/announce"):
        assert path in paths


def test_a_meeting_that_requires_approval_is_announced_only_after_the_office_approves(app, client, demo, room):
    secretary, clerk = api_token(app, demo["thuky"]), api_token(app, demo["vanthu"])
    made = client.post("/api/v1/meetings", json=_body(demo, room, requires_approval=True), headers=secretary)
    base = f"/api/v1/meetings/{made.get_json()['id']}"
    client.post(f"{base}/participants", json={"user_ids": [demo["daibieu"]]}, headers=secretary)
    early = client.post(f"{base}/announce", json={}, headers=secretary)
    assert early.status_code == 409 and "cần văn phòng duyệt" in early.get_json()["error"]["message"]
    assert client.post(f"{base}/approve", json={}, headers=clerk).status_code == 409  # not sent yet
    assert client.post(f"{base}/submit", headers=secretary).get_json()["status"] == "pending_approval"
    assert client.post(f"{base}/approve", json={}, headers=secretary).status_code == 403  # not the office
    no_reason = client.post(f"{base}/approve", json={"approved": False}, headers=clerk)
    assert no_reason.status_code == 400 and no_reason.get_json()["error"]["field"] == "note"
    approved = client.post(f"{base}/approve", json={"approved": True}, headers=clerk).get_json()
    assert approved["status"] == "approved"
    with app.app_context():
        assert db.session.get(Meeting, approved["id"]).approved_by_id == demo["vanthu"]
