"""Who may see and do what (meetings.meeting.policy), as a matrix through the pages, the API and the iCalendar
download, for a draft and then an announced meeting; and a person of an organisation the secretary cannot see is
refused, nothing added."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from edoc.accounts.models import Role, User
from edoc.admin.organisations import OrganisationData, create_organisation
from edoc.core.db import commit, db
from edoc.core.errors import ValidationFailed
from edoc.demo import load_demo_parent
from meetings.attendance.models import Participant
from meetings.meeting import participants as attendance
from meetings.meeting import service
from meetings.meeting.models import Meeting
from tests.documents.conftest import api_token
from tests.meetings.meeting.conftest import DAY
from tests.support.web import login, post_form

# who → (sees the draft, sees it announced); the creator is thuky (secretary), the chair chutich
MATRIX = {
    "chutich": (True, True),  # chair
    "thuky": (True, True),  # secretary and creator
    "vanthu": (True, True),  # the office (văn thư)
    "quantri": (True, True),  # the office (quản trị)
    "phochutich": (False, True),  # invited: only once announced
    "chutich.hn": (False, True),  # invited, of the parent organisation (in Gia Lâm's directory)
    "chuyenvien": (False, False),  # same organisation, not invited
    "vanthu.hn": (False, False),  # another organisation's clerk
}


def test_the_access_matrix_through_pages_api_and_the_feed(app, demo, make_meeting):
    with app.app_context():
        load_demo_parent()
        ids = {u.username: u.id for u in db.session.execute(select(User)).scalars()}
    meeting_id = make_meeting()
    with app.app_context():
        attendance.add_people(db.session.get(User, ids["thuky"]), db.session.get(Meeting, meeting_id),
                              [ids["phochutich"], ids["chutich.hn"]])
    tokens = {name: api_token(app, ids[name]) for name in MATRIX}
    feeds = {}
    with app.app_context():
        for name in ("phochutich", "chuyenvien", "chutich"):
            feeds[name] = service.new_feed_token(db.session.get(User, ids[name]))

    def check(stage: int) -> None:
        api = app.test_client()
        for name, seen in MATRIX.items():
            expected = 200 if seen[stage] else 404
            assert api.get(f"/api/v1/meetings/{meeting_id}", headers=tokens[name]).status_code == expected, name
            listed = api.get(f"/api/v1/meetings?date={DAY.isoformat()}&view=month&scope=mine",
                             headers=tokens[name]).get_json()["meetings"]
            assert (meeting_id in [m["id"] for m in listed]) == (seen[stage] and name not in {"vanthu", "quantri"}), \
                name  # the office sees it, but it is not one of its own meetings
            got = api.get(f"/api/v1/meetings/{meeting_id}/participants", headers=tokens[name]).status_code
            assert got == expected, name
        for name in ("phochutich", "chuyenvien"):
            page = app.test_client()
            login(page, name)
            assert page.get(f"/meetings/{meeting_id}").status_code == (200 if MATRIX[name][stage] else 404), name
        for name, token in feeds.items():
            text = app.test_client().get(f"/meetings/feed/{token}.ics").get_data(as_text=True)
            shown = f"UID:meeting-{meeting_id}@" in text
            assert shown == (name == "chutich" or (stage == 1 and MATRIX[name][1])), name

    check(0)
    with app.app_context():  # announced (the Giấy mời itself is test_invitation's)
        m = db.session.get(Meeting, meeting_id)
        m.status, m.announced_at = "announced", m.created_at
        commit()
    check(1)
    # actions: only the managers change it, only the office approves, chuyenvien and daibieu create nothing
    api = app.test_client()
    for name, allowed in (("phochutich", False), ("chutich.hn", False), ("vanthu", True)):
        got = api.post(f"/api/v1/meetings/{meeting_id}/participants", json={"guest": {"name": "Khách"}},
                       headers=tokens[name]).status_code
        assert got == (201 if allowed else 403), name
    assert api.post(f"/api/v1/meetings/{meeting_id}/approve", json={}, headers=tokens["thuky"]).status_code == 403
    body = {"title": "Họp", "starts_at": f"{DAY.isoformat()}T15:00", "ends_at": f"{DAY.isoformat()}T16:00",
            "location": "Hội trường", "chair_id": ids["chutich"], "secretary_id": ids["thuky"]}
    assert api.post("/api/v1/meetings", json=body, headers=tokens["chuyenvien"]).status_code == 403
    assert api.post("/api/v1/meetings", json=body, headers=tokens["vanthu"]).status_code == 201


def test_a_person_of_an_organisation_the_secretary_cannot_see_is_refused(app, demo, client, make_meeting):
    meeting_id = make_meeting()
    with app.app_context():
        elsewhere = create_organisation(OrganisationData(name="CÔNG ĐOÀN NGÀNH Y TẾ", parent_name="",
                                                         abbreviation="CĐYT", place_name="Hà Nội",
                                                         organ_id="000.00.99.H26"))
        db.session.flush()
        stranger = User(organisation_id=elsewhere.id, username="yte", full_name="Lý Thị Y", password_hash="x")
        stranger.roles = {Role.LEADER}
        db.session.add(stranger)
        commit()
        stranger_id = stranger.id
        with pytest.raises(ValidationFailed, match="Chỉ mời được người của cơ quan mình"):
            attendance.add_people(db.session.get(User, demo["thuky"]), db.session.get(Meeting, meeting_id),
                                  [demo["phochutich"], stranger_id])
        db.session.rollback()
    login(client, "thuky")
    page = f"/meetings/{meeting_id}"
    refused = post_form(client, f"{page}/participants", {"user_ids": [stranger_id]}, page=page)
    assert refused.status_code == 400 and "Chỉ mời được người của cơ quan mình" in refused.get_data(as_text=True)
    assert "Lý Thị Y" not in client.get(page).get_data(as_text=True)  # not even offered
    with app.app_context():
        # nothing half-saved: phochutich, listed first in the refused request, was not added either
        assert db.session.execute(select(func.count(Participant.id)).where(
            Participant.meeting_id == meeting_id)).scalar_one() == 2
