"""From the record to signed minutes, the notice and tasks, on SQLite and PostgreSQL: drafted from the record,
text edited, a fact corrected (shown as a correction), signed by the secretary then the chair, numbered and sealed
by the clerk (all signatures valid, the embedded record recomputed from the issued PDF), the notice with its
countdown and reminder, a task from a conclusion closed by an issued document and linked both ways, the meeting
file with its SHA-256 manifest, the audit chain intact. Bad input (issue 14, item 7), each with what it gets."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from pyhanko.pdf_utils.embed import EmbeddedFileObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from edoc.accounts.models import User
from edoc.audit.service import verify_chain
from edoc.core.db import db
from edoc.core.errors import Conflict, NotAllowed, ValidationFailed
from edoc.documents import drafting, hooks, review
from edoc.documents.actions import issue_document
from edoc.documents.models import OutgoingDocument
from edoc.documents.signing import sign_one
from edoc.files.service import read_verified
from edoc.signatures.service import validate_bytes
from edoc.tasks.models import Task
from meetings.attendance import checkin
from meetings.attendance.models import Participant
from meetings.minutes import archive, conclusions, notice, opinions, service
from meetings.minutes.models import ItemMinutes, Minutes
from signing.record import check_record, read_record
from tests.meetings.minutes.conftest import PIN, days_left_text, get, items_of


def _user(demo: dict[str, int], name: str) -> User:
    user = db.session.get(User, demo[name])
    assert user is not None
    return user


def test_minutes_notice_tasks_and_file(app: Flask, demo: dict[str, int], make_meeting: Callable[..., int]) -> None:
    meeting_id = make_meeting(status="announced")
    with app.app_context():
        meeting = get(meeting_id)
        first, second = items_of(meeting_id)
        secretary, chair, clerk = _user(demo, "thuky"), _user(demo, "chutich"), _user(demo, "vanthu")
        absent = _user(demo, "daibieu")
        # before the meeting: the absent member's written opinion; no notice for a meeting not ended
        opinions.send_opinion(absent, meeting, first.id, "Nhất trí với báo cáo, đề nghị bổ sung số liệu quý IV.")
        db.session.commit()
        # check-in in the live room (each call commits and appends to the meeting's event log)
        checkin.check_in(_user(demo, "phochutich"), meeting, status="in_room")
        checkin.check_in(_user(demo, "chuyenvien"), meeting, status="online")
        absent_id = db.session.execute(db.select(Participant.id).where(Participant.meeting_id == meeting_id,
                                                                       Participant.user_id == absent.id)).scalar_one()
        checkin.check_in(secretary, meeting, status="absent", reason="Đi công tác tại tỉnh", participant_id=absent_id)
        with pytest.raises(ValidationFailed, match="Cuộc họp chưa kết thúc"):
            notice.draft_notice(chair, meeting)
        db.session.rollback()
        assert service.minutes_of(meeting) is None  # nothing half-saved
        meeting.status = "ended"
        db.session.commit()

        minutes = service.draft_minutes(secretary, meeting)
        db.session.commit()
        doc = minutes.document
        assert doc is not None and doc.type_code == "BB" and doc.signer_id == chair.id
        assert "Vắng mặt:" in doc.body and ": Đi công tác tại tỉnh;" in doc.body
        assert "(vắng mặt): Nhất trí với báo cáo" in doc.body and "Tài liệu: Báo cáo số 12/BC-LĐLĐ." in doc.body
        first_record = read_record(read_verified(doc.current_version.pdf_file))
        assert first_record["attendance"]["absent"] == 1 and first_record["attendance"]["online"] == 1
        assert first_record["event_log"]["events"] == 3

        service.save_text(chair, meeting, items={first.id: (None, "Thông qua báo cáo; giao Văn phòng hoàn thiện."),
                                                 second.id: (None, "Giao Ban Tổ chức xây dựng kế hoạch quý I.")})
        service.save_text(secretary, meeting, opening="Chủ tọa khai mạc và nêu mục đích cuộc họp.",
                          items={first.id: ("Các đại biểu thảo luận, nhất trí với báo cáo.", None)})
        person = next(p for p in service.gather(meeting, minutes).people if p.status == "absent")
        service.correct_fact(secretary, meeting, f"person:{person.key}:reason", "Ốm, có giấy của bệnh viện",
                             "Đại biểu gửi giấy sau cuộc họp")
        db.session.commit()
        assert "Đính chính lý do vắng mặt của" in doc.body and "ghi nhận ban đầu “Đi công tác tại tỉnh”" in doc.body

        # bad input: someone who is neither the secretary nor the chair signs; nothing changes
        deputy_chair = _user(demo, "phochutich")
        versions = len(doc.versions)
        with pytest.raises(NotAllowed, match="Chỉ thư ký cuộc họp được ký biên bản"):
            service.sign_as_secretary(deputy_chair, meeting, PIN)
        with pytest.raises(NotAllowed, match="Chỉ chủ tọa cuộc họp được ký biên bản"):
            service.sign_as_chair(deputy_chair, meeting, PIN)
        db.session.rollback()
        assert len(doc.versions) == versions and minutes.secretary_version_id is None
        # submitting unsigned is refused too
        with pytest.raises(ValidationFailed, match="chưa có chữ ký số của thư ký"):
            service.submit(secretary, meeting)
        db.session.rollback()

        service.sign_as_secretary(secretary, meeting, PIN)
        db.session.commit()
        service.submit(secretary, meeting)
        db.session.commit()
        service.sign_as_chair(chair, meeting, PIN)
        db.session.commit()
        issue_document(clerk, doc)
        doc = db.session.get(OutgoingDocument, doc.id)
        assert doc is not None and doc.status == "issued"
        issued = read_verified(doc.issued_file)
        report = validate_bytes(meeting.organisation_id, issued)
        assert [s.field for s in report.signatures][:3] == ["sig_cosigner", "sig_signer", "sig_seal"]
        assert report.all_valid, [(s.field, s.verdict_text, s.modification_text) for s in report.signatures]
        assert check_record(issued).problems == []
        minutes = db.session.get(Minutes, minutes.id)
        assert minutes is not None and minutes.record_check == "ok"  # the after-issue hook recomputed it
        assert ("Biên bản của cuộc họp: Họp Ban Thường vụ tháng 12", f"/meetings/{meeting_id}/minutes") in \
            hooks.related(secretary, doc)

        # the notice, its countdown and the reminder (once a day)
        notice.draft_notice(chair, meeting)
        db.session.commit()
        tb = minutes.notice
        assert tb is not None and tb.type_code == "TB" and "kết luận như sau:" in tb.body
        due = minutes.notice_due_on
        state = notice.countdown(minutes, meeting)
        assert days_left_text() in state.text  # held yesterday: 5 working days from then
        assert notice.remind_notices(today=due) == 1
        assert notice.remind_notices(today=due) == 0
        db.session.commit()
        assert notice.remind_notices(today=due - timedelta(days=7)) == 0

        # a task from a conclusion: a deadline before the meeting is refused, one in working days is given
        conclusion = db.session.execute(db.select(ItemMinutes).where(ItemMinutes.agenda_item_id == first.id)
                                        ).scalar_one()
        lead = _user(demo, "chuyenvien")
        with pytest.raises(ValidationFailed, match="trước ngày họp"):
            conclusions.assign_tasks(chair, meeting, conclusion, [conclusions.TaskLine(
                "lead", user_id=lead.id, deadline=service.meeting_day(meeting) - timedelta(days=1))])
        db.session.rollback()
        assert conclusions.tasks_of(conclusion) == []
        (task,) = conclusions.assign_tasks(chair, meeting, conclusion, [conclusions.TaskLine(
            "lead", user_id=lead.id, instructions="Hoàn thiện báo cáo", working_days=5)])
        db.session.commit()
        assert task.deadline is not None and task.deadline > service.meeting_day(meeting)
        # the notice issued through the same flow (the chair drafted it: submit, approve, sign; the clerk issues)
        review.submit(chair, tb)
        review.approve(chair, tb)
        sign_one(chair, tb, PIN)
        db.session.commit()
        issue_document(clerk, tb)
        assert notice.countdown(minutes, meeting).text == "Đã ban hành thông báo kết luận."
        conclusions.answer_with_document(lead, task, tb)  # the lead's unit received the notice
        db.session.commit()
        task = db.session.get(Task, task.id)
        assert task is not None and task.status == "done"
        assert any(link == f"/meetings/{meeting_id}/minutes#ket-luan-{conclusion.id}"
                   for _, link in hooks.related(lead, tb))

        # the meeting file: every file's SHA-256 in the manifest, the audit entries in the verified chain
        out, name = archive.meeting_file(secretary, meeting)
        db.session.commit()
        with zipfile.ZipFile(out) as z:
            names = z.namelist()
            sums = dict(reversed(line.split("  ")) for line in z.read("SHA256SUMS").decode().splitlines())
            for entry, digest in sums.items():
                assert hashlib.sha256(z.read(entry)).hexdigest() == digest
            audit = [json.loads(line) for line in z.read("06-nhat-ky-kiem-toan.jsonl").decode().splitlines()]
            record = json.loads(z.read("05-du-lieu-cuoc-hop.json"))
            events = z.read("08-nhat-ky-su-kien.jsonl").splitlines()
        assert check_record(issued, event_log=events).problems == []  # the record's hash covers the room's log
        assert name == f"ho-so-cuoc-hop-{meeting_id}.zip"
        assert {"02-bien-ban.pdf", "03-thong-bao-ket-luan.pdf", "04-diem-danh.csv",
                "07-tai-lieu/01-v1-bao-cao-so-12bc-ldld.pdf"} <= set(names)
        assert record["attendance"]["people"][-1]["reason"] == "Ốm, có giấy của bệnh viện"
        actions = {a["action"] for a in audit}
        assert {"meeting.create", "meeting.minutes_draft", "meeting.minutes_correct",
                "meeting.minutes_secretary_sign", "document.issue", "meeting.notice_draft"} <= actions
        assert verify_chain() is None


def test_embedded_record_edited_after_signing_is_detected(app: Flask, demo: dict[str, int],
                                                          make_meeting: Callable[..., int]) -> None:
    """The secretary's signed version with its record rewritten in an update appended after the signature."""
    meeting_id = make_meeting()
    with app.app_context():
        meeting, secretary = get(meeting_id), _user(demo, "thuky")
        service.draft_minutes(secretary, meeting)
        minutes = service.sign_as_secretary(secretary, meeting, PIN)
        db.session.commit()
        signed = read_verified(minutes.document.current_version.pdf_file)
        assert check_record(signed).problems == []
        forged = read_record(signed)
        forged["attendance"]["absent"] = 0
        writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
        spec = writer.root["/Names"]["/EmbeddedFiles"]["/Names"][1].get_object()
        spec["/EF"]["/F"] = writer.add_object(EmbeddedFileObject.from_file_data(writer, json.dumps(forged).encode()))
        writer.update_container(spec)
        out = io.BytesIO()
        writer.write(out)
        problems = check_record(out.getvalue()).problems
        assert "dữ liệu cuộc họp nhúng trong tệp đã bị sửa sau khi ký (khác với bản đã ký)" in problems


def test_minutes_refused_before_the_end_and_changes_after_signing_need_a_new_signature(
        app: Flask, demo: dict[str, int], make_meeting: Callable[..., int]) -> None:
    meeting_id = make_meeting(status="in_progress")
    with app.app_context():
        meeting, secretary, chair = get(meeting_id), _user(demo, "thuky"), _user(demo, "chutich")
        with pytest.raises(ValidationFailed, match="Cuộc họp chưa kết thúc"):
            service.draft_minutes(secretary, meeting)
        db.session.rollback()
        meeting.status = "ended"
        db.session.commit()
        service.draft_minutes(secretary, meeting)
        service.sign_as_secretary(secretary, meeting, PIN)
        db.session.commit()
        first, _ = items_of(meeting_id)
        service.save_text(chair, meeting, items={first.id: (None, "Kết luận thêm sau khi thư ký đã ký.")})
        db.session.commit()
        with pytest.raises(ValidationFailed, match="đã thay đổi sau khi thư ký ký"):
            service.submit(secretary, meeting)
        db.session.rollback()
        with pytest.raises(ValidationFailed, match="Chỉ thư ký sửa lời văn"):
            service.save_text(chair, meeting, opening="Chủ tọa sửa lời văn")
        db.session.rollback()
        with pytest.raises(ValidationFailed, match="Không có dữ liệu này"):
            service.correct_fact(secretary, meeting, "person:p0:status", "present", "nhầm")
        db.session.rollback()
        absent = next(p for p in service.gather(meeting, service.minutes_of(meeting)).people if p.status == "absent")
        with pytest.raises(ValidationFailed, match="Ghi rõ lý do đính chính"):
            service.correct_fact(secretary, meeting, f"person:{absent.key}:status", "present", "")
        db.session.rollback()
        with pytest.raises(ValidationFailed, match="Giá trị mới giống giá trị đang ghi"):
            service.correct_fact(secretary, meeting, f"person:{absent.key}:status", "absent", "nhầm")
        db.session.rollback()
        with pytest.raises(ValidationFailed, match="Không có dữ liệu này"):
            service.correct_fact(secretary, meeting, "vote:99:Tán thành", "3", "nhầm")
        db.session.rollback()
        with pytest.raises(ValidationFailed, match="ý kiến bằng văn bản phải gửi trước cuộc họp"):
            opinions.send_opinion(_user(demo, "daibieu"), meeting, first.id, "Gửi muộn")
        db.session.rollback()


def test_issue_refused_for_minutes_signed_by_another_leader(app: Flask, demo: dict[str, int],
                                                          make_meeting: Callable[..., int]) -> None:
    """The generic document editor hands the Biên bản to another leader, who approves and signs it: the clerk's
    issue is refused by the minutes' issue hook, with the reasons, and no number is taken."""
    meeting_id = make_meeting()
    with app.app_context():
        meeting, secretary = get(meeting_id), _user(demo, "thuky")
        deputy_chair, clerk = _user(demo, "phochutich"), _user(demo, "vanthu")
        minutes = service.draft_minutes(secretary, meeting)
        db.session.commit()
        doc = minutes.document
        data = drafting.draft_data_of(doc)
        data.signer_id, data.signer_title = deputy_chair.id, "PHÓ CHỦ TỊCH"
        drafting.update_draft(secretary, doc, data, source="pdf")  # the editor keeps the version's PDF source
        doc.current_version.pdf_file_id = doc.versions[-2].pdf_file_id
        review.submit(secretary, doc)
        review.approve(deputy_chair, doc)
        sign_one(deputy_chair, doc, PIN)
        db.session.commit()
        with pytest.raises(Conflict, match="người ký không phải chủ tọa cuộc họp .*bản thư ký .* đã ký"):
            issue_document(clerk, doc)
        db.session.rollback()
        doc = db.session.get(OutgoingDocument, doc.id)
        assert doc is not None and doc.status == "approved" and doc.number is None
