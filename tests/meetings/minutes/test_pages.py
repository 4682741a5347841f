"""The minutes page through HTTP as the forms post it: the secretary drafts the minutes; bad input (a correction with
no reason, a wrong PIN, a task due before the meeting) gets its message on the page with a 4xx and
nothing saved; a task due on the meeting's day shows overdue on the board of tasks from conclusions;
the meeting file downloads as a ZIP."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edoc.core.clock import vietnam_today
from edoc.core.db import db
from meetings.attendance.models import Participant
from meetings.minutes.models import FactCorrection, ItemMinutes, Minutes
from tests.meetings.minutes.conftest import DAY, days_left_text, items_of
from tests.support.web import login, post_form


@pytest.mark.parametrize("backend", ["sqlite"])  # the flow runs on both; this part is no database matter
def test_minutes_page(app: Flask, client: FlaskClient, demo: dict[str, int],
                      make_meeting: Callable[..., int]) -> None:
    meeting_id = make_meeting(status="in_progress")
    path = f"/meetings/{meeting_id}/minutes"
    login(client, "thuky")
    assert post_form(client, path, {"action": "draft"}).status_code == 400  # not ended yet: refused on the page
    assert post_form(client, path, {"action": "end"}).status_code == 302
    page = client.get(path)
    assert page.status_code == 200 and "Soạn biên bản từ dữ liệu cuộc họp" in page.get_data(as_text=True)
    assert post_form(client, path, {"action": "draft"}).status_code == 302
    html = client.get(path).get_data(as_text=True)
    assert days_left_text(vietnam_today()) in html  # ended now: five working days from today and "…/BB-LĐLĐ" in html

    with app.app_context():
        absent = db.session.execute(db.select(Participant.id).where(Participant.meeting_id == meeting_id,
                                                                    Participant.answer == "absent")).scalar_one()
        person = f"person:p{absent}"
        item = items_of(meeting_id)[0].id
    refused = post_form(client, path, {"action": "correct", "target": f"{person}:reason", "corrected": "Ốm",
                                       "reason": ""})
    assert refused.status_code == 400 and "Ghi rõ lý do đính chính." in refused.get_data(as_text=True)
    wrong_pin = post_form(client, path, {"action": "sign_secretary", "pin": "000000"})
    assert wrong_pin.status_code in (400, 403) and "PIN" in wrong_pin.get_data(as_text=True)
    assert post_form(client, path, {"action": "text", "opening": "Khai mạc.",
                                    f"conclusion-{item}": "Giao Văn phòng hoàn thiện."}).status_code == 302
    with app.app_context():
        conclusion_id = db.session.execute(db.select(ItemMinutes.id).where(ItemMinutes.agenda_item_id == item)
                                           ).scalar_one()
    early = post_form(client, path, {"action": "assign", "conclusion_id": conclusion_id, "role": "lead",
                                     "user_id": demo["chuyenvien"], "deadline": "2020-01-01"})
    assert early.status_code == 400 and "trước ngày họp" in early.get_data(as_text=True)
    # due on the meeting's day (yesterday): on the board of tasks from conclusions, overdue
    assert post_form(client, path, {"action": "assign", "conclusion_id": conclusion_id, "role": "lead",
                                    "user_id": demo["chuyenvien"], "deadline": DAY.isoformat()}).status_code == 302
    board = client.get("/meetings/tasks").get_data(as_text=True)
    assert "Quá hạn (1)" in board and "Kết luận về Báo cáo kết quả hoạt động năm 2026" in board
    with app.app_context():
        assert db.session.execute(db.select(FactCorrection.id)).first() is None
        minutes = db.session.execute(db.select(Minutes).where(Minutes.meeting_id == meeting_id)).scalar_one()
        assert minutes.secretary_version_id is None

    download = client.get(f"{path}/ho-so.zip")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        assert "SHA256SUMS" in archive.namelist() and "02-bien-ban-du-thao.pdf" in archive.namelist()

