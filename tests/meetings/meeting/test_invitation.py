"""The Giấy mời: announcing drafts it (GM, form 1.7) from the meeting with its Nơi nhận from the participants; it
goes the outgoing way to the parent organisation's incoming queue; a change of time drafts a new one that names
the first by its number; after the start nothing is re-issued."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db, utcnow
from edoc.core.errors import Conflict, ValidationFailed
from edoc.demo import load_demo_parent
from edoc.documents import actions, review
from edoc.documents.models import OutgoingDocument
from edoc.documents.signing import sign_one
from edoc.incoming.models import IncomingDocument
from edoc.organisations.models import Unit
from edoc.signatures.devca import DEMO_PIN
from meetings.meeting import invitations
from meetings.meeting import participants as attendance
from meetings.meeting.models import Invitation, Meeting
from tests.meetings.meeting.conftest import meeting_data


def test_announce_drafts_the_giay_moi_that_goes_the_outgoing_way_and_a_new_time_replaces_it(app, demo,
                                                                                                make_meeting):
    with app.app_context():
        parent = load_demo_parent()
        hanoi_chair = next(u.id for u in parent.users if u.username == "chutich.hn")
        hanoi = parent.organisation.id
    meeting_id = make_meeting()
    with app.app_context():
        secretary = db.session.get(User, demo["thuky"])
        m = db.session.get(Meeting, meeting_id)
        with pytest.raises(ValidationFailed, match="Chưa có người được mời"):
            invitations.announce(secretary, m)
        db.session.rollback()
        attendance.add_people(secretary, m, [demo["phochutich"], hanoi_chair])
        tg = db.session.execute(select(Unit).where(Unit.abbreviation == "TG")).scalar_one()
        attendance.add_unit(secretary, m, tg.id)
        attendance.add_guest(secretary, m, "Ông Trần Văn Khách", "Công ty Vận tải Gia Lâm", "khach@vt.example.vn")
        first = invitations.announce(secretary, m, expected_version=m.version)
        db.session.commit()
        doc = db.session.get(OutgoingDocument, first.document_id)
        assert (doc.type_code, doc.status, doc.signer_id, doc.drafter_id) == ("GM", "draft", demo["chutich"],
                                                                             demo["thuky"])
        assert doc.current_version.pdf_file_id is not None
        lines = doc.body.splitlines()
        assert lines[0].startswith("Liên đoàn Lao động huyện Gia Lâm trân trọng kính mời: đồng chí Trần Thị Lan, "
                                   "Phó Chủ tịch; ")
        assert "Liên đoàn Lao động thành phố Hà Nội (đồng chí Phạm Văn Đông)" in lines[0]
        assert "Ông Trần Văn Khách, Công ty Vận tải Gia Lâm" in lines[0]
        assert lines[1] == "Tới dự Hội nghị Ban Thường vụ tháng 12."
        assert lines[2] == "Chủ trì: đồng chí Nguyễn Văn Hùng, Chủ tịch."
        assert lines[3].startswith("Thời gian: 08 giờ 00, thứ ") and lines[4] == "Địa điểm: Phòng họp tầng 2."
        assert lines[-1] == "Mang theo tài liệu đã gửi./."
        assert sorted((r.kind, r.purpose) for r in doc.recipients) == [
            ("external", "act"), ("unit", "act"), ("user", "act")]
        assert m.status == "announced" and m.announced_at is not None

        # the outgoing flow as it is: submit, approve, the chair's signature, the clerk's number and seal
        review.submit(secretary, doc)
        review.approve(db.session.get(User, demo["chutich"]), doc)
        db.session.commit()
        sign_one(db.session.get(User, demo["chutich"]), doc, DEMO_PIN)
        db.session.commit()
        actions.issue_document(db.session.get(User, demo["vanthu"]), doc)
        arrived = db.session.execute(select(IncomingDocument).where(
            IncomingDocument.organisation_id == hanoi,
            IncomingDocument.source_document_id == doc.id)).scalar_one()
        assert arrived.type_code == "GM" and arrived.summary == "Hội nghị Ban Thường vụ tháng 12"
        reference = doc.reference

        # one hour later: a new Giấy mời naming the first
        data = meeting_data(demo, start=(9, 0), end=(11, 0), room_id=m.room_id)
        second = invitations.update(secretary, m, data, expected_version=m.version)
        db.session.commit()
        assert second is not None and second.replaces_id == first.id and second.reason == "thay đổi thời gian"
        new_doc = db.session.get(OutgoingDocument, second.document_id)
        assert new_doc.body.splitlines()[0] == f"Giấy mời này thay thế Giấy mời số {reference} (thay đổi thời gian)."
        assert "Thời gian: 09 giờ 00" in new_doc.body

        # started: re-issuing is refused, nothing written
        m.starts_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        count = len(invitations.invitations_of(m))
        with pytest.raises(Conflict, match="đã bắt đầu"):
            invitations.reissue(secretary, m, "đổi phòng")
        db.session.rollback()
        assert db.session.query(Invitation).count() == count
