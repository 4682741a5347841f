"""The agenda through its pages and API: items with sub-items, edited and reordered by the secretary; bad input
answered on the page with nothing saved; members read it and change nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.core.db import db
from meetings.agenda.models import AgendaItem
from meetings.agenda.service import items_of, numbering
from meetings.meeting.models import Meeting
from tests.documents.conftest import api_token
from tests.support.orgs import other_organisation
from tests.support.web import login, post_form


def _agenda(app, meeting_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        items = items_of(db.session.get(Meeting, meeting_id))
        labels = numbering(items)
        return [(labels[i.id], i.title) for i in items]


def _count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(AgendaItem)).scalar_one()


def test_secretary_builds_the_agenda_and_bad_input_saves_nothing(app, client, demo, make_meeting):
    meeting_id = make_meeting(items=0)
    page = f"/meetings/{meeting_id}/agenda"
    login(client, "thuky")
    add = f"/meetings/{meeting_id}/agenda/items"
    for title in ("Báo cáo tình hình quý IV", "Kế hoạch năm 2027"):
        answer = post_form(client, add, {"title": title, "kind": "report", "presenter_user_id": demo["chutich"],
                                         "planned_minutes": "20"}, page=page)
        assert answer.status_code == 302
    first = _agenda(app, meeting_id)
    with app.app_context():
        ids = [i.id for i in items_of(db.session.get(Meeting, meeting_id))]
    answer = post_form(client, add, {"title": "Thảo luận, cho ý kiến", "kind": "discussion", "parent_id": ids[0]},
                       page=page)
    assert answer.status_code == 302
    assert post_form(client, f"/meetings/{meeting_id}/agenda/items/{ids[1]}/move", {"direction": "up"},
                     page=page).status_code == 302
    assert first == [("1", "Báo cáo tình hình quý IV"), ("2", "Kế hoạch năm 2027")]
    assert _agenda(app, meeting_id) == [("1", "Kế hoạch năm 2027"), ("2", "Báo cáo tình hình quý IV"),
                                        ("2.1", "Thảo luận, cho ý kiến")]
    html = client.get(page).get_data(as_text=True)
    assert "Thảo luận, cho ý kiến" in html and "Kế hoạch năm 2027" in html and 'id="add-item-form"' in html

    # bad input: each answered on the agenda page with its message, nothing saved
    other_org = other_organisation(app, username="nguoingoai")
    with app.app_context():
        outsider = db.session.execute(select(User.id).where(User.organisation_id == other_org)).scalar_one()
    other_meeting = make_meeting(items=1)
    with app.app_context():
        foreign_item = db.session.execute(select(AgendaItem.id).where(AgendaItem.meeting_id == other_meeting)
                                          ).scalar_one()
    before = _count(app)
    cases = [({"title": "  ", "kind": "report"}, "Chưa nhập nội dung"),
             ({"title": "X", "kind": "vote-now"}, "Loại mục không hợp lệ"),
             ({"title": "X", "planned_minutes": "0"}, "Thời lượng dự kiến"),
             ({"title": "X", "planned_minutes": "mười"}, "Thời lượng dự kiến"),
             ({"title": "X", "parent_id": foreign_item}, "Mục cha không thuộc cuộc họp này"),
             ({"title": "X", "parent_id": _sub_id(app, meeting_id)}, "một cấp mục con"),
             ({"title": "X", "presenter_user_id": outsider}, "Người trình bày phải là")]
    for form, message in cases:
        answer = post_form(client, add, form, page=page)
        assert answer.status_code == 400, form
        assert message in answer.get_data(as_text=True), form
    assert _count(app) == before

    # a member reads the agenda but cannot change it; an uninvited user does not learn the meeting exists
    login(client := app.test_client(), "daibieu")
    assert "Kế hoạch năm 2027" in client.get(page).get_data(as_text=True)
    refused = post_form(client, add, {"title": "Việc riêng", "kind": "report"}, page=page)
    assert refused.status_code == 403 and "Chỉ chủ trì, thư ký" in refused.get_data(as_text=True)
    login(outsider_client := app.test_client(), "chuyenvien")
    assert outsider_client.get(page).status_code == 404
    assert _count(app) == before


def _sub_id(app, meeting_id: int) -> int:
    with app.app_context():
        return db.session.execute(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting_id,
                                                              AgendaItem.parent_id.is_not(None))).scalar_one()


def test_agenda_api_reorders_and_refuses_a_forged_order(app, client, demo, make_meeting):
    meeting_id = make_meeting(items=3)
    secretary, member = api_token(app, demo["thuky"]), api_token(app, demo["daibieu"])
    agenda = client.get(f"/api/v1/meetings/{meeting_id}/agenda", headers=member).get_json()
    ids = [i["id"] for i in agenda["items"]]
    assert [i["number"] for i in agenda["items"]] == ["1", "2", "3"]
    assert client.put(f"/api/v1/meetings/{meeting_id}/agenda/order", json={"order": ids[::-1]},
                      headers=member).status_code == 403
    moved = client.put(f"/api/v1/meetings/{meeting_id}/agenda/order", json={"order": ids[::-1]}, headers=secretary)
    assert [i["id"] for i in moved.get_json()["items"]] == ids[::-1]
    for forged in ([ids[0], ids[1]], [ids[0], ids[0], ids[1]], [*ids, 999_999], ["a", "b", "c"]):
        answer = client.put(f"/api/v1/meetings/{meeting_id}/agenda/order", json={"order": forged},
                            headers=secretary)
        assert answer.status_code == 400, forged
    added = client.post(f"/api/v1/meetings/{meeting_id}/agenda/items", headers=secretary,
                        json={"title": "Bầu bổ sung Ủy viên", "kind": "election", "planned_minutes": 30})
    assert added.status_code == 201 and added.get_json()["number"] == "4"
    assert client.get(f"/api/v1/meetings/{meeting_id + 1000}/agenda", headers=secretary).status_code == 404
