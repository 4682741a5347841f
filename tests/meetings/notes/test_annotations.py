"""Private annotations on a meeting paper: each delegate reads back only their own (another delegate, the chair, the
secretary and an administrator get nothing or 404), they outlive the meeting, forged or oversized JSON is refused
with a Vietnamese message and nothing stored, and the paper's shared file is never changed."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

import pytest

from edoc.accounts.models import Role, User
from edoc.accounts.passwords import hash_password
from edoc.audit.models import AuditEntry
from edoc.core.db import db, utcnow
from edoc.files.service import read_verified
from meetings.meeting.models import MeetingStatus
from meetings.notes.models import PaperAnnotation
from meetings.papers import service as papers
from meetings.papers.files import read_upload
from meetings.papers.models import Paper
from tests.documents.conftest import simple_pdf
from tests.support.web import csrf_token, login

INK = {"type": "ink", "color": "red", "points": [[0.1, 0.2], [0.15, 0.25], [0.2, 0.3]]}
MARK = {"type": "highlight", "color": "yellow", "rect": [0.1, 0.4, 0.5, 0.05]}
NOTE = {"type": "note", "at": [0.8, 0.1], "text": "Hỏi lại số liệu quý III"}


@pytest.fixture
def paper(live_room):
    with live_room.app.app_context():
        secretary, meeting = live_room.user("secretary"), live_room.meeting()
        found = papers.add_upload(secretary, meeting, live_room.items[0],
                                  read_upload(io.BytesIO(simple_pdf(["Báo cáo kết quả công tác"])), "bao-cao.pdf"),
                                  title="Báo cáo kết quả công tác")
        papers.set_release(secretary, meeting, utcnow() - timedelta(hours=2))
        return found.id


def _base(live_room, paper_id: int) -> str:
    return f"/meetings/{live_room.meeting_id}/papers/{paper_id}/annotations"


def _put(client, live_room, path: str, body: object, *, raw: bytes | None = None):
    token = csrf_token(client, f"/meetings/{live_room.meeting_id}/room")
    headers = {"X-CSRFToken": token, "Accept": "application/json", "Content-Type": "application/json"}
    return client.put(path, data=raw if raw is not None else json.dumps(body), headers=headers)


def _file_digest(live_room, paper_id: int) -> tuple[str, str]:
    with live_room.app.app_context():
        version = db.session.get(Paper, paper_id).current
        return version.file.sha256, hashlib.sha256(read_verified(version.file)).hexdigest()


def test_annotations_are_the_authors_alone_and_never_touch_the_file(live_room, paper):
    before = _file_digest(live_room, paper)
    base = _base(live_room, paper)
    m1 = live_room.signed_in("m1")
    saved = _put(m1, live_room, f"{base}/1", {"version": 1, "items": [INK, MARK, NOTE]})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    row_id = saved.get_json()["id"]
    got = m1.get(base).get_json()
    assert got["version"] == 1 and got["annotations"]["1"]["items"] == [INK, MARK, NOTE]
    assert m1.get(f"/meetings/annotations/{row_id}").get_json()["items"] == [INK, MARK, NOTE]

    # another delegate sees none of it and can read the row by neither path nor id
    m2 = live_room.signed_in("m2")
    assert m2.get(base).get_json()["annotations"] == {}
    with live_room.app.app_context():
        org_id = live_room.user("chair").organisation_id
        admin = User(organisation_id=org_id, username="r-admin", full_name="Quản Trị",
                     password_hash=hash_password("GiaLam@2023"))
        admin.roles = {Role.ADMIN}
        db.session.add(admin)
        db.session.commit()
    admin_client = live_room.app.test_client()
    login(admin_client, "r-admin")
    for client in (m2, live_room.signed_in("chair"), live_room.signed_in("secretary"), admin_client):
        assert client.get(f"/meetings/annotations/{row_id}").status_code == 404
    # the chair's and the office's own view of the paper holds only their own (none)
    assert live_room.signed_in("chair").get(base).get_json()["annotations"] == {}
    assert admin_client.get(base).get_json()["annotations"] == {}
    assert live_room.signed_in("outsider").get(base).status_code == 404
    # a second page, then the first cleared; the shared file is byte for byte the same
    assert _put(m1, live_room, f"{base}/1", {"version": 1, "items": []}).get_json()["items"] == []
    assert m1.get(base).get_json()["annotations"] == {}
    assert _file_digest(live_room, paper) == before
    assert before[0] == before[1]
    # the audit entry says a page was annotated, never what
    with live_room.app.app_context():
        entries = db.session.query(AuditEntry).filter(AuditEntry.action.like("meeting.annotation.%")).all()
        assert [e.action for e in entries] == ["meeting.annotation.save", "meeting.annotation.clear"]
        assert all("Hỏi lại" not in e.changes and "0.8" not in e.changes for e in entries)


def test_annotations_outlive_the_meeting(live_room, paper):
    base = _base(live_room, paper)
    m1 = live_room.signed_in("m1")
    assert _put(m1, live_room, f"{base}/1", {"version": 1, "items": [NOTE]}).status_code == 200
    with live_room.app.app_context():
        meeting = live_room.meeting()
        meeting.status, meeting.ends_at = MeetingStatus.ENDED.value, utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert m1.get(base).get_json()["annotations"]["1"]["items"] == [NOTE]


BAD = "Chú thích không hợp lệ"


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"version": 1, "items": "x"}, 400, f"{BAD}: danh sách mục phải là một mảng."),
    ({"version": 1, "items": [{"type": "script", "src": "x"}]}, 400,
     f"{BAD}: loại chú thích phải là nét vẽ, tô sáng hoặc ghi chú."),
    ({"version": 1, "items": [{**INK, "onclick": "alert(1)"}]}, 400, f"{BAD}: mục có trường thiếu hoặc lạ."),
    ({"version": 1, "items": [{**INK, "points": [[0.1, 1.5]]}]}, 400, f"{BAD}: tọa độ nằm ngoài trang."),
    ({"version": 1, "items": [{**INK, "points": [[0.1, True]]}]}, 400, f"{BAD}: tọa độ phải là số."),
    ({"version": 1, "items": [{**INK, "color": "url(javascript:x)"}]}, 400, f"{BAD}: màu không có trong bảng màu."),
    ({"version": 1, "items": [{**NOTE, "text": "x" * 1001}]}, 400, f"{BAD}: ghi chú có từ 1 đến 1000 ký tự."),
    ({"version": 1, "items": [{**NOTE, "text": "a\x07b"}]}, 400, f"{BAD}: ghi chú chứa ký tự điều khiển."),
    ({"version": 1, "items": [{**MARK, "rect": [0.9, 0.1, 0.5, 0.1]}]}, 400, f"{BAD}: vùng tô sáng nằm ngoài trang."),
    ({"items": [INK]}, 400, f"{BAD}: gửi một đối tượng JSON gồm version và items."),
    ({"version": "1", "items": [INK]}, 400, f"{BAD}: thiếu số phiên bản tài liệu."),
    ({"version": 7, "items": [INK]}, 404, "Không tìm thấy phiên bản này của tài liệu."),
    ({"version": 1, "items": [INK] * 201}, 413, f"{BAD}: quá 200 mục trên một trang."),
    ({"version": 1, "items": [{**INK, "points": [[0.5, 0.5]] * 1001}]}, 400,
     f"{BAD}: một nét vẽ có từ 1 đến 1000 điểm."),
    ({"version": 1, "items": [{**INK, "points": [[0.5, 0.5]] * 900}] * 12}, 413,
     f"{BAD}: quá 10000 điểm vẽ trên một trang."),
])
def test_forged_annotations_are_refused_and_nothing_stored(live_room, paper, body, status, message):
    base = _base(live_room, paper)
    m1 = live_room.signed_in("m1")
    assert _put(m1, live_room, f"{base}/1", {"version": 1, "items": [NOTE]}).status_code == 200
    answer = _put(m1, live_room, f"{base}/1", body)
    assert answer.status_code == status and answer.get_json()["error"]["message"] == message
    assert m1.get(base).get_json()["annotations"]["1"]["items"] == [NOTE]  # the earlier copy stands


def test_oversized_or_malformed_bodies_and_pages_beyond_the_paper(live_room, paper):
    base = _base(live_room, paper)
    m1 = live_room.signed_in("m1")
    huge = _put(m1, live_room, f"{base}/1", None, raw=b'{"version": 1, "items": [' + b" " * 300_000 + b"]}")
    assert huge.status_code == 413
    assert huge.get_json()["error"]["message"] == f"{BAD}: dữ liệu gửi lên quá lớn (tối đa 256 KB)."
    nan = _put(m1, live_room, f"{base}/1", None, raw=b'{"version": 1, "items": [{"type": "note", '
                                                     b'"at": [NaN, 0.1], "text": "x"}]}')
    assert nan.status_code == 400 and nan.get_json()["error"]["message"] == f"{BAD}: tọa độ phải là số."
    broken = _put(m1, live_room, f"{base}/1", None, raw=b"{not json")
    assert broken.status_code == 400
    beyond = _put(m1, live_room, f"{base}/2", {"version": 1, "items": [INK]})
    assert beyond.status_code == 400 and beyond.get_json()["error"]["message"] == f"{BAD}: tài liệu không có trang 2."
    with live_room.app.app_context():
        assert db.session.query(PaperAnnotation).count() == 0
