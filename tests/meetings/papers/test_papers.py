"""Papers through the pages and the API: uploads (PDF, DOCX converted) and documents already in edoc, hostile
files refused with nothing stored, the release time (before the start; the 3-working-day warning), who reads
what (release, restriction, a secret document's readers), the reader's name on unsigned downloads, signed papers
intact and recorded, comments on drafts, reminders sent once."""

from __future__ import annotations

import io
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.audit.models import AuditEntry
from edoc.core.clock import vietnam_time
from edoc.core.db import db, utcnow
from edoc.documents import drafting, sources
from edoc.documents.models import OutgoingDocument
from edoc.notifications.models import Notification
from meetings.attendance.models import Participant
from meetings.demo import TITLE as DEMO_TITLE
from meetings.meeting.models import Meeting
from meetings.papers import reminders
from meetings.papers.demo import demo_step
from meetings.papers.models import Paper, PaperDelivery, PaperRelease, ReminderSent
from signing.devca import create_ca
from signing.placement import Placement
from signing.sign import sign_pdf
from tests.documents.conftest import api_token, draft_data, minimal_docx, stored
from tests.meetings.agenda.conftest import first_item, paper_pdf
from tests.support.components import require_tool
from tests.support.orgs import other_organisation
from tests.support.web import login, post_form

JS_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>endobj\n"
          b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]"
          b">>endobj\n4 0 obj<</S/JavaScript/JS(app.alert\\(1\\))>>endobj\ntrailer<</Root 1 0 R/Size 5>>\n%%EOF\n")


def _text(pdf: bytes) -> str:
    require_tool("pdftotext", "poppler-utils")
    return subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def _upload(client, meeting_id: int, item_id: int, name: str, data: bytes, **extra: str):
    return post_form(client, f"/meetings/{meeting_id}/papers",
                     {"agenda_item_id": str(item_id), "file": (io.BytesIO(data), name), **extra},
                     page=f"/meetings/{meeting_id}/agenda", content_type="multipart/form-data")


def _papers(app, meeting_id: int) -> dict[str, int]:
    with app.app_context():
        return {p.title: p.id for p in db.session.execute(select(Paper).where(Paper.meeting_id == meeting_id))
                .scalars()}


def _release(client, meeting_id: int, moment) -> object:
    return post_form(client, f"/meetings/{meeting_id}/papers/release",
                     {"release_at": vietnam_time(moment).strftime("%Y-%m-%dT%H:%M")},
                     page=f"/meetings/{meeting_id}/agenda")


def test_upload_refusals_release_and_the_readers_name(app, client, demo, make_meeting):
    meeting_id = make_meeting(starts_in=timedelta(days=1, hours=2))  # a regular meeting: too soon for 3 days
    item = first_item(app, meeting_id)
    page = f"/meetings/{meeting_id}/agenda"
    login(client, "thuky")
    assert _upload(client, meeting_id, item, "bao-cao.pdf", paper_pdf(), title="Báo cáo quý IV").status_code == 302
    require_tool("soffice", "libreoffice-writer-nogui")
    assert _upload(client, meeting_id, item, "du-thao-nghi-quyet.docx",
                   minimal_docx(["DỰ THẢO NGHỊ QUYẾT", "Về công tác năm 2027"]), draft="1").status_code == 302
    papers = _papers(app, meeting_id)
    assert set(papers) == {"Báo cáo quý IV", "du-thao-nghi-quyet"}

    # what is not a document: refused on the agenda page, nothing stored
    before = stored(app)
    hostile = [("anh.pdf", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, 415, "không khớp"),
               ("trang.pdf", b"<html><script>alert(1)</script></html>", 415, "không khớp"),
               ("cut.pdf", paper_pdf()[:400], 400, "không phải tệp PDF đọc được"),
               ("script.pdf", JS_PDF, 400, "nội dung tự chạy"),
               ("virus.exe", b"MZ\x90\x00", 415, "không được hỗ trợ"),
               ("zip.docx", b"PK\x03\x04" + b"\0" * 40, 415, "không khớp")]
    for name, data, status, message in hostile:
        answer = _upload(client, meeting_id, item, name, data)
        assert answer.status_code == status, name
        assert message in answer.get_data(as_text=True), name
    assert stored(app) == before and len(_papers(app, meeting_id)) == 2

    # the release: after the start refused; a day ahead of a regular meeting warned about
    with app.app_context():
        starts = db.session.get(Meeting, meeting_id).starts_at
    late = _release(client, meeting_id, starts + timedelta(minutes=1))
    assert late.status_code == 400 and "phải trước giờ bắt đầu họp" in late.get_data(as_text=True)
    assert "Chưa đặt thời điểm phát hành" in client.get(page).get_data(as_text=True)

    # before the release a member sees neither the paper nor its file
    member = app.test_client()
    login(member, "daibieu")
    assert "Báo cáo quý IV" not in member.get(page).get_data(as_text=True)
    assert member.get(f"/meetings/{meeting_id}/papers/{papers['Báo cáo quý IV']}/file").status_code == 404
    assert _release(client, meeting_id, utcnow() - timedelta(minutes=1)).status_code == 302
    warning = client.get(page).get_data(as_text=True)
    assert 'id="release-warning"' in warning and "trước ít nhất 3 ngày làm việc" in warning

    listing = member.get(page).get_data(as_text=True)
    assert "Báo cáo quý IV" in listing and 'id="release-warning"' not in listing
    download = member.get(f"/meetings/{meeting_id}/papers/{papers['Báo cáo quý IV']}/file")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    text = _text(download.data)
    with app.app_context():
        name = db.session.get(User, demo["daibieu"]).full_name
        delivery = db.session.execute(select(PaperDelivery)).scalar_one()
        assert (delivery.user_id, delivery.watermarked) == (demo["daibieu"], True)
    assert name in text and "Tình hình hoạt động công đoàn" in text
    viewer = member.get(f"/meetings/{meeting_id}/papers/{papers['du-thao-nghi-quyet']}")
    assert viewer.status_code == 200 and "vendor/pdfjs/pdf.min.mjs" in viewer.get_data(as_text=True)
    assert "<script>" not in viewer.get_data(as_text=True)


def test_who_reads_what_signed_intact_and_foreign_documents(app, client, demo, make_meeting):
    meeting_id = make_meeting()
    item = first_item(app, meeting_id)
    page = f"/meetings/{meeting_id}/agenda"
    login(client, "thuky")
    assert _release(client, meeting_id, utcnow() - timedelta(minutes=1)).status_code == 302

    # a secret draft thuky wrote, naming chutich as its reader; and another organisation's document
    other_org = other_organisation(app, username="vanthu.khac")
    with app.app_context():
        secret = drafting.create_draft(db.session.get(User, demo["thuky"]),
                                       draft_data(demo, secrecy="Mật", summary="Phương án nhân sự",
                                                  reader_ids=[demo["chutich"], demo["vanthu"]], recipients=[]))
        db.session.commit()
        secret_id = secret.id
        outsider = db.session.execute(select(User).where(User.organisation_id == other_org)).scalar_one()
    with app.app_context():
        sources.render_version(db.session.get(OutgoingDocument, secret_id))
        db.session.commit()
        # another organisation's document (a row is enough: it must be refused by its id alone)
        foreign = OutgoingDocument(organisation_id=other_org, type_code="KH", summary="Của cơ quan khác",
                                   drafter_id=outsider.id)
        db.session.add(foreign)
        db.session.commit()
        foreign_id = foreign.id
    for forged in (f"outgoing:{foreign_id}", "outgoing:999999", f"incoming:{secret_id}", f"memo:{secret_id}"):
        answer = post_form(client, f"/meetings/{meeting_id}/papers/link",
                           {"agenda_item_id": str(item), "document": forged}, page=page)
        assert answer.status_code == 400, forged
    assert _papers(app, meeting_id) == {}
    assert post_form(client, f"/meetings/{meeting_id}/papers/link",
                     {"agenda_item_id": str(item), "document": f"outgoing:{secret_id}"}, page=page).status_code == 302

    # a signed PDF: delivered byte for byte, its download recorded
    signed = sign_pdf(paper_pdf(), create_ca().issue("Nguyễn Văn Hùng", organisation="LĐLĐ huyện Gia Lâm"),
                      placement=Placement.from_xywh(0, 300, 80, 200, 60))
    assert _upload(client, meeting_id, item, "nghi-quyet-da-ky.pdf", signed, title="Nghị quyết đã ký").status_code \
        == 302
    assert _upload(client, meeting_id, item, "rieng.pdf", paper_pdf(), title="Chỉ Phó Chủ tịch").status_code == 302
    papers = _papers(app, meeting_id)
    with app.app_context():
        vice = db.session.execute(select(Participant.id).where(Participant.meeting_id == meeting_id,
                                                               Participant.user_id == demo["phochutich"])).scalar_one()
    assert post_form(client, f"/meetings/{meeting_id}/papers/{papers['Chỉ Phó Chủ tịch']}/readers",
                     {"restricted": "1", "participant_ids": str(vice)}, page=page).status_code == 302
    bad = post_form(client, f"/meetings/{meeting_id}/papers/{papers['Chỉ Phó Chủ tịch']}/readers",
                    {"restricted": "1", "participant_ids": "999999"}, page=page)
    assert bad.status_code == 400 and "không phải đại biểu" in bad.get_data(as_text=True)

    readers = {}
    for username in ("daibieu", "phochutich", "chutich"):
        readers[username] = app.test_client()
        login(readers[username], username)
    expected = {"daibieu": {"Nghị quyết đã ký"}, "phochutich": {"Nghị quyết đã ký", "Chỉ Phó Chủ tịch"},
                "chutich": {"Nghị quyết đã ký", "Chỉ Phó Chủ tịch", "Phương án nhân sự"}}
    for username, titles in expected.items():
        for title, paper_id in papers.items():
            answer = readers[username].get(f"/meetings/{meeting_id}/papers/{paper_id}/file")
            assert answer.status_code == (200 if title in titles else 404), (username, title)
    assert readers["daibieu"].get(f"/meetings/{meeting_id}/papers/{papers['Nghị quyết đã ký']}/file").data == signed
    with app.app_context():
        recorded = db.session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "meeting.paper.download")).scalar_one()
        intact = db.session.execute(select(func.count()).select_from(PaperDelivery).where(
            PaperDelivery.watermarked.is_(False))).scalar_one()
    assert recorded == intact == 4  # three readers, and daibieu once more

    # the API says the same: another organisation's user does not find the meeting
    assert client.get(f"/api/v1/meetings/{meeting_id}/agenda",
                      headers=api_token(app, outsider.id)).status_code == 404
    listed = client.get(f"/api/v1/meetings/{meeting_id}/agenda", headers=api_token(app, demo["daibieu"]))
    assert [p["title"] for p in listed.get_json()["papers"]] == ["Nghị quyết đã ký"]


def test_comments_on_a_draft_and_reminders_sent_once(app, client, demo, make_meeting):
    meeting_id = make_meeting(starts_in=timedelta(minutes=50))
    item = first_item(app, meeting_id)  # presented by phochutich
    with app.app_context():
        db.session.add(Participant(meeting_id=meeting_id, user_id=demo["chuyenvien"], role="member", votes=True))
        db.session.commit()
    page = f"/meetings/{meeting_id}/agenda"
    login(client, "thuky")
    _release(client, meeting_id, utcnow() - timedelta(minutes=1))
    _upload(client, meeting_id, item, "du-thao.pdf", paper_pdf(), title="Dự thảo kế hoạch", draft="1")
    _upload(client, meeting_id, item, "bao-cao.pdf", paper_pdf(), title="Báo cáo")
    papers = _papers(app, meeting_id)
    with app.app_context():
        version_id = db.session.get(Paper, papers["Dự thảo kế hoạch"]).current.id
        final_version = db.session.get(Paper, papers["Báo cáo"]).current.id
    member = app.test_client()
    login(member, "daibieu")
    path = f"/meetings/{meeting_id}/papers/{papers['Dự thảo kế hoạch']}"
    ok = post_form(member, f"{path}/comments", {"version_id": version_id, "page": "1",
                                                "body": "Đề nghị bổ sung chỉ tiêu phát triển đoàn viên."}, page=path)
    assert ok.status_code == 302
    for form, message in [({"version_id": version_id, "page": "99", "body": "x"}, "Trang phải từ 1 đến 1"),
                          ({"version_id": final_version, "page": "1", "body": "x"}, "Phiên bản tài liệu không hợp lệ"),
                          ({"version_id": version_id, "page": "1", "body": "   "}, "Chưa nhập nội dung góp ý")]:
        answer = post_form(member, f"{path}/comments", form, page=path)
        assert answer.status_code == 400 and message in answer.get_data(as_text=True), form
    final = f"/meetings/{meeting_id}/papers/{papers['Báo cáo']}"
    assert post_form(member, f"{final}/comments", {"version_id": final_version, "page": "1", "body": "x"},
                     page=final).status_code == 400
    comment = "Đề nghị bổ sung chỉ tiêu phát triển đoàn viên."
    presenter, other = app.test_client(), app.test_client()
    login(presenter, "phochutich")
    login(other, "chuyenvien")
    assert comment in client.get(path).get_data(as_text=True)  # the secretary
    assert comment in presenter.get(path).get_data(as_text=True)  # the item's presenter
    assert comment in member.get(path).get_data(as_text=True)  # its author
    assert comment not in other.get(path).get_data(as_text=True)  # another member
    api = client.get(f"/api/v1/meetings/{meeting_id}/papers/{papers['Dự thảo kế hoạch']}/comments",
                     headers=api_token(app, demo["chuyenvien"]))
    assert api.status_code == 200 and api.get_json()["comments"] == []

    # reminders: 1 day and 30 minutes before; 50 minutes ahead, only the 1-day one is due: sent once
    assert post_form(client, f"/meetings/{meeting_id}/reminders", {"minutes_before": ["1440", "30"]},
                     page=page).status_code == 302
    with app.app_context():
        absent = db.session.execute(select(Participant).where(Participant.meeting_id == meeting_id,
                                                              Participant.user_id == demo["chutich"])).scalar_one()
        absent.answer = "absent"
        db.session.commit()
        first = reminders.remind_all()
        again = reminders.remind_all()
        notes = db.session.execute(select(Notification.user_id).where(Notification.kind == "meeting")).scalars().all()
        rows = db.session.execute(select(func.count()).select_from(ReminderSent)).scalar_one()
        later = reminders.remind_all(utcnow() + timedelta(minutes=25))
    assert (first, again, later) == (4, 0, 4)
    assert sorted(notes) == sorted([demo["thuky"], demo["phochutich"], demo["daibieu"], demo["chuyenvien"]])
    assert rows == 4


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_bad_api_input(app, client, demo, make_meeting):
    meeting_id = make_meeting()
    headers = api_token(app, demo["thuky"])
    base = f"/api/v1/meetings/{meeting_id}"
    cases = [("put", "/papers/release", {"release_at": "ngày mai"}, 400),
             ("put", "/papers/release", {"release_at": "2099-01-01T08:00:00+07:00"}, 400),
             ("post", "/papers", {"agenda_item_id": 1, "file_id": 999999}, 400),
             ("post", "/papers", {"agenda_item_id": first_item(app, meeting_id),
                                  "document": {"kind": "outgoing", "id": 999999}}, 400),
             ("put", "/reminders", {"minutes_before": [0]}, 400),
             ("put", "/reminders", {"minutes_before": "1440"}, 400),
             ("put", "/papers/999999/readers", {"participant_ids": None}, 404)]
    for method, path, body, status in cases:
        answer = getattr(client, method)(base + path, json=body, headers=headers)
        assert answer.status_code == status, (path, body, answer.get_json())
        assert answer.get_json()["error"]["message"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_demo_step_adds_papers_once(app, demo, make_meeting):
    meeting_id = make_meeting(starts_in=timedelta(days=10))
    other = make_meeting(starts_in=timedelta(days=9))  # someone's own meeting: never given demo papers
    with app.app_context():
        db.session.get(Meeting, meeting_id).title = DEMO_TITLE
        db.session.commit()
        org = db.session.get(User, demo["thuky"]).organisation
        made = demo_step(org)
        again = demo_step(org)
        paper = db.session.execute(select(Paper).where(Paper.meeting_id == meeting_id)).scalar_one()
        release = db.session.get(PaperRelease, meeting_id)
        meeting = db.session.get(Meeting, meeting_id)
        assert paper.draft and release is not None and release.release_at < meeting.starts_at
        assert [r.minutes_before for r in reminders.reminders_of(meeting)] == [1440, 120]
        assert db.session.execute(select(Paper.id).where(Paper.meeting_id == other)).first() is None
    assert any("Dự thảo Nghị quyết" in line for line in made) and again == []
