"""Presenting, directing, assigning, passing on, progress, reminders, answering, filing; the registers and the board
(issue 10, items 3-6)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.accounts.passwords import hash_password
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from edoc.core.errors import NotAllowed, ValidationFailed
from edoc.incoming import board, registers, service
from edoc.incoming.models import IncomingDocument
from edoc.notifications.models import Notification
from edoc.organisations.models import Unit
from edoc.tasks import service as tasks
from edoc.tasks.models import Task, TaskReminder
from tests.documents.conftest import get_doc
from tests.support.orgs import other_organisation
from tests.support.web import login, post_form


def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def _unit(abbreviation: str) -> Unit:
    return db.session.execute(select(Unit).where(Unit.abbreviation == abbreviation)).scalars().first()


def _head_of_tg(app) -> int:
    """A head of Ban Tuyên giáo (leader role in the unit) besides its specialist, chuyenvien."""
    with app.app_context():
        head = User(organisation_id=_user("vanthu").organisation_id, unit_id=_unit("TG").id, username="truongban",
                    full_name="Trưởng Ban Tuyên giáo", password_hash=hash_password("GiaLam@2023"))
        head.roles = {Role.LEADER}
        db.session.add(head)
        db.session.commit()
        return head.id


def _notes(user_id: int) -> list[str]:
    return [n.text for n in db.session.execute(select(Notification).where(Notification.user_id == user_id)
                                               .order_by(Notification.id)).scalars()]


def test_present_direct_pass_on_report_answer_and_file(app, demo, register_doc, make_document):
    head_id = _head_of_tg(app)
    doc_id = register_doc()
    with app.app_context():
        clerk, chair, specialist = _user("vanthu"), _user("chutich"), _user("chuyenvien")
        doc = db.session.get(IncomingDocument, doc_id)
        doc.received_on = vietnam_today() - timedelta(days=10)  # arrived two weeks ago: presenting now is late
        db.session.commit()
        with pytest.raises(ValidationFailed, match="lãnh đạo"):
            service.present(clerk, doc, specialist.id)
        service.present(clerk, doc, chair.id)
        db.session.commit()
        assert doc.status == "presented" and doc.presented_late
        assert any("Trình văn bản đến" in t for t in _notes(chair.id))

        with pytest.raises(NotAllowed):
            service.direct(_user("phochutich"), doc, "Giao TG", [tasks.Assignee("lead", unit_id=_unit("TG").id)])
        db.session.rollback()
        lines = [tasks.Assignee("lead", unit_id=_unit("TG").id, instructions="Tham mưu kế hoạch"),
                 tasks.Assignee("cooperate", user_id=_user("thuky").id),
                 tasks.Assignee("inform", user_id=_user("phochutich").id)]
        with pytest.raises(ValidationFailed, match="trước ngày đến"):
            service.direct(chair, doc, "Giao Ban Tuyên giáo", lines, deadline=doc.received_on - timedelta(days=1))
        db.session.rollback()
        made = service.direct(chair, doc, "Giao Ban Tuyên giáo chủ trì, Văn phòng phối hợp", lines,
                              deadline=vietnam_today() + timedelta(days=3))
        db.session.commit()
        assert [t.role for t in made] == ["lead", "cooperate", "inform"]
        assert made[2].deadline is None and made[0].deadline == doc.deadline == vietnam_today() + timedelta(days=3)
        assert doc.status == "in_progress"
        lead_id = made[0].id
        # the unit's head is its handler, and is told; the specialist is not, until it is passed on
        assert any("Được giao chủ trì" in t for t in _notes(head_id))
        assert not any("Được giao chủ trì" in t for t in _notes(specialist.id))

        head = db.session.get(User, head_id)
        lead = db.session.get(Task, lead_id)
        with pytest.raises(ValidationFailed, match="không được sau hạn"):
            service.pass_on(head, doc, lead, specialist.id, "Dự thảo", lead.deadline + timedelta(days=1))
        db.session.rollback()
        child = service.pass_on(head, doc, db.session.get(Task, lead_id), specialist.id, "Dự thảo văn bản trả lời",
                                None)
        db.session.commit()
        assert child.parent_id == lead_id and child.deadline == lead.deadline
        with pytest.raises(NotAllowed):
            service.report(_user("daibieu"), doc, child, progress=10, note="?")
        db.session.rollback()
        service.report(specialist, doc, child, progress=50, note="Đang dự thảo")
        service.report(specialist, doc, child, progress=100, note="Đã dự thảo, trình ký", done=True)
        db.session.commit()
        assert db.session.get(Task, lead_id).status == "done"  # the passed-on task closes with its child

    reply_id = make_document(type_code="CV", summary="V/v báo cáo kết quả Tháng Công nhân")
    with app.app_context():
        draft = get_doc(reply_id)
        doc = db.session.get(IncomingDocument, doc_id)
        with pytest.raises(ValidationFailed, match="chưa ban hành"):
            service.finish(_user("chutich"), doc, result="", reply_document_id=reply_id)
        db.session.rollback()
        from edoc.documents.issuing import issue

        issue(_user("vanthu"), draft)
        db.session.commit()
        service.finish(_user("chutich"), db.session.get(IncomingDocument, doc_id), result="",
                       reply_document_id=reply_id)
        db.session.commit()
        doc = db.session.get(IncomingDocument, doc_id)
        assert doc.status == "done" and doc.result.startswith("Đã trả lời bằng văn bản số")
        service.file_document(_user("vanthu"), doc)
        db.session.commit()
        assert doc.status == "filed"
        reference = get_doc(reply_id).reference

    # both sides show the link
    client = app.test_client()
    login(client, "chutich")
    page = client.get(f"/incoming/{doc_id}")
    assert page.status_code == 200 and f">{reference}</a>" in page.text
    outgoing_page = client.get(f"/documents/{reply_id}")
    assert "Trả lời văn bản đến số 01/" in outgoing_page.text and f'href="/incoming/{doc_id}"' in outgoing_page.text


def test_assigning_a_person_of_another_organisation_is_refused(app, demo, register_doc):
    other = other_organisation(app, username="nguoingoai", role=Role.SPECIALIST)
    doc_id = register_doc()
    with app.app_context():
        outsider = db.session.execute(select(User).where(User.organisation_id == other)).scalar_one()
        doc = db.session.get(IncomingDocument, doc_id)
        service.present(_user("vanthu"), doc, _user("chutich").id)
        db.session.commit()
        for line in (tasks.Assignee("lead", user_id=outsider.id),
                     tasks.Assignee("lead", unit_id=999_999),
                     tasks.Assignee("lead", user_id=_user("chuyenvien").id, unit_id=_unit("TG").id)):
            with pytest.raises(ValidationFailed):
                service.direct(_user("chutich"), doc, "Giao", [line])
            db.session.rollback()
        assert db.session.execute(select(Task)).first() is None
        assert db.session.get(IncomingDocument, doc_id).status == "presented"


def test_the_direct_form_says_what_is_wrong_on_the_document_page(app, demo, register_doc, client):
    doc_id = register_doc()
    with app.app_context():
        service.present(_user("vanthu"), db.session.get(IncomingDocument, doc_id), _user("chutich").id)
        db.session.commit()
        unit_id = _unit("TG").id
    login(client, "chutich")
    response = post_form(client, f"/incoming/{doc_id}/direct", {
        "direction": "Giao TG", "lead": f"unit:{unit_id}", "deadline": "2001-01-01"}, page=f"/incoming/{doc_id}")
    assert response.status_code == 400 and "trước ngày đến của văn bản" in response.text
    assert 'id="direct-form"' in response.text  # the document's page again, the form still there
    ok = post_form(client, f"/incoming/{doc_id}/direct", {
        "direction": "Giao TG", "lead": f"unit:{unit_id}", "deadline": (vietnam_today() + timedelta(days=5))
        .isoformat()}, page=f"/incoming/{doc_id}")
    assert ok.status_code == 302


def test_reminders_before_and_after_the_deadline_once_a_day(app, demo, register_doc):
    doc_id = register_doc()
    with app.app_context():
        doc = db.session.get(IncomingDocument, doc_id)
        service.present(_user("vanthu"), doc, _user("chutich").id)
        specialist = _user("chuyenvien")
        deadline = date(2026, 12, 10)  # Thursday
        doc.received_on = date(2026, 12, 1)
        service.direct(_user("chutich"), doc, "Giao", [tasks.Assignee("lead", user_id=specialist.id)],
                       deadline=deadline)
        db.session.commit()
        org = doc.organisation_id
        assert tasks.remind(org, today=date(2026, 12, 3)) == 0  # a week ahead: nothing
        assert tasks.remind(org, today=date(2026, 12, 8)) == 1  # two working days ahead: due soon
        assert tasks.remind(org, today=date(2026, 12, 8)) == 0  # run again: nothing twice
        assert tasks.remind(org, today=date(2026, 12, 9)) == 0  # "due" is sent once
        assert tasks.remind(org, today=date(2026, 12, 11)) == 1  # overdue
        assert tasks.remind(org, today=date(2026, 12, 12)) == 0  # Saturday: not a working day
        assert tasks.remind(org, today=date(2026, 12, 14)) == 1  # overdue again on Monday
        db.session.commit()
        texts = _notes(specialist.id)
        assert any("Sắp đến hạn 10/12/2026" in t for t in texts)
        assert any("Quá hạn 1 ngày làm việc" in t for t in texts) and any("Quá hạn 2 ngày" in t for t in texts)
        assert any("Quá hạn" in t for t in _notes(_user("chutich").id))  # the leader hears of overdue work
        assert len(db.session.execute(select(TaskReminder)).scalars().all()) == 3
        # listed for the person and the leader
        overdue = tasks.open_tasks(org, where=tasks.assigned_to(specialist), overdue=True, today=date(2026, 12, 11))
        assert [t.subject_id for t in overdue] == [doc_id]


def test_registers_have_the_appendix_iv_columns_and_export(app, demo, register_doc, client):
    first = register_doc()
    register_doc(original_reference="12/SNV", sender_name="Sở Nội vụ Hà Nội", secrecy="Mật",
                 summary="Văn bản mật")
    with app.app_context():
        service.present(_user("vanthu"), db.session.get(IncomingDocument, first), _user("chutich").id)
        service.direct(_user("chutich"), db.session.get(IncomingDocument, first), "Giao",
                       [tasks.Assignee("lead", unit_id=_unit("TG").id)], deadline=vietnam_today() + timedelta(days=7))
        db.session.commit()
        year = vietnam_today().year
        rows = registers.register_rows(_user("vanthu"), year)
        assert len(registers.REGISTER_COLUMNS) == 10 and len(registers.TRACKER_COLUMNS) == 7
        assert [r.cells[1] for r in rows] == ["01", "02"]
        assert rows[0].cells[2] == "LĐLĐ thành phố Hà Nội" and "Ban Tuyên giáo (chủ trì)" in rows[0].cells[6]
        # the secret one was registered by this clerk: she sees it; the leader not presented it sees it masked
        leader_rows = registers.register_rows(_user("phochutich"), year)
        assert leader_rows[1].masked and leader_rows[1].cells[5] == registers.MASKED
        tracker = registers.tracker_rows(_user("vanthu"), year)
        assert tracker[0].cells[3] == vietnam_today() + timedelta(days=7) and "Đang giải quyết" in tracker[0].cells[4]
    login(client, "vanthu")
    page = client.get(f"/incoming/registers?year={year}")
    assert page.status_code == 200 and "Đơn vị hoặc người nhận" in page.text
    xlsx = client.get(f"/incoming/registers.xlsx?kind=tracker&year={year}")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet["A4"].value == "Số đến" and sheet["F4"].value == "Số, ký hiệu văn bản trả lời"
    assert sheet["A6"].value == "01"
    pdf = client.get(f"/incoming/registers.pdf?year={year}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get("/incoming/registers?year=abc").status_code == 400


def test_board_counts_link_to_the_documents_behind_them(app, demo, register_doc, client):
    ids = [register_doc(original_reference=f"{n}/CV-SNV") for n in range(1, 5)]
    today = vietnam_today()
    with app.app_context():
        chair, unit = _user("chutich"), _unit("TG")
        for n, doc_id in enumerate(ids):
            doc = db.session.get(IncomingDocument, doc_id)
            service.present(_user("vanthu"), doc, chair.id)
            deadline = today - timedelta(days=1) if n in (1, 3) else today + timedelta(days=5)
            doc.received_on = today - timedelta(days=20)
            service.direct(chair, doc, "Giao", [tasks.Assignee("lead", unit_id=unit.id)], deadline=deadline)
        db.session.commit()
        service.finish(chair, db.session.get(IncomingDocument, ids[0]), result="Xong")  # on time
        service.finish(chair, db.session.get(IncomingDocument, ids[1]), result="Xong muộn")  # late
        db.session.commit()
        figures = board.board(chair, today.year)
        assert figures.totals == {"received": 4, "in_progress": 1, "on_time": 1, "late": 1, "overdue": 1}
        [(unit_id, name, counts)] = figures.by_unit
        assert name == "Ban Tuyên giáo" and counts["overdue"] == 1
        assert [d.id for d in board.documents_for(chair, today.year, "overdue", unit_id=unit_id)] == [ids[3]]
        assert [d.id for d in board.documents_for(chair, today.year, "late")] == [ids[1]]
    login(client, "chutich")
    page = client.get("/incoming/board")
    assert page.status_code == 200 and "vendor/chart.umd.min.js" in page.text and "<script>" not in page.text
    assert f"/incoming/board/list?year={today.year}&amp;kind=overdue&amp;unit={unit_id}" in page.text
    listed = client.get(f"/incoming/board/list?year={today.year}&kind=overdue&unit={unit_id}")
    assert listed.status_code == 200 and f"/incoming/{ids[3]}" in listed.text and f"/incoming/{ids[0]}\"" not in \
        listed.text
    assert client.get("/incoming/board/list?kind=nope").status_code == 400


def test_a_person_led_document_counts_under_the_unit_they_had_when_assigned(app, demo, register_doc):
    doc_id = register_doc(original_reference="7/CV-SNV")
    today = vietnam_today()
    with app.app_context():
        chair, specialist = _user("chutich"), _user("chuyenvien")
        doc = db.session.get(IncomingDocument, doc_id)
        service.present(_user("vanthu"), doc, chair.id)
        service.direct(chair, doc, "Giao", [tasks.Assignee("lead", user_id=specialist.id)],
                       deadline=today + timedelta(days=5))
        db.session.commit()
        assigned_unit = specialist.unit_id
        assert assigned_unit is not None and doc.lead_unit_id == assigned_unit
        specialist.unit_id = _unit("TG").id if _unit("TG").id != assigned_unit else None
        db.session.commit()
        figures = board.board(chair, today.year)
        assert [(uid, counts["in_progress"]) for uid, _name, counts in figures.by_unit] == [(assigned_unit, 1)]
        assert figures.by_month[today.month]["received"] == 1


def test_the_reminder_job_is_periodic_and_reminds_every_organisation(app, demo, register_doc):
    from edoc import jobs
    from edoc.jobs.registry import periodic_jobs
    from edoc.tasks.jobs import JOB

    assert JOB in {p.name for p in periodic_jobs()}
    doc_id = register_doc()
    with app.app_context():
        doc = db.session.get(IncomingDocument, doc_id)
        service.present(_user("vanthu"), doc, _user("chutich").id)
        doc.received_on = vietnam_today() - timedelta(days=30)
        service.direct(_user("chutich"), doc, "Giao", [tasks.Assignee("lead", user_id=_user("chuyenvien").id)],
                       deadline=vietnam_today() - timedelta(days=3))
        db.session.commit()
        jobs.enqueue_after_commit(JOB, {})
        db.session.commit()  # the job runs as this commits (tests run jobs immediately)
        sent = db.session.execute(select(TaskReminder)).scalars().all()
        from edoc.calendar.service import calendar_for

        expected = 1 if calendar_for(doc.organisation_id).is_working_day(vietnam_today()) else 0
        assert len(sent) == expected  # overdue reminders go out on working days
        jobs.enqueue_after_commit(JOB, {})
        db.session.commit()
        assert len(db.session.execute(select(TaskReminder)).scalars().all()) == expected  # once a day
