"""What is printed comes from the register chosen while drafting: an advisory body's document prints its name in
the header and its own ký hiệu, and issue numbers it in that register only. Công văn ký hiệu with or without the
drafting unit (Appendix I, II.3.b), per organisation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.documents import actions, issuing, sources
from edoc.organisations.models import Organisation
from edoc.registers.entries import outgoing_entries
from edoc.registers.models import Register, RegisterCounter
from tests.documents.conftest import get_doc, pdf_text
from tests.support.web import login

AT = datetime(2026, 4, 10, 2, 15, tzinfo=UTC)


def register_id(app, kind: str) -> int:
    with app.app_context():
        return db.session.execute(select(Register.id).where(Register.kind == kind)).scalar_one()


def issue(app, demo, doc_id: int, **kwargs) -> str:
    with app.app_context():
        clerk = db.session.get(User, demo["vanthu"])
        doc = issuing.issue(clerk, get_doc(doc_id), at=AT, **kwargs)
        sources.finalise_issued(clerk, doc)
        db.session.commit()
        return doc.reference


def counters(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.coalesce(func.sum(RegisterCounter.last_number), 0))).scalar_one()


def test_advisory_body_document_prints_and_registers_its_own_notation(app, demo, make_document, tmp_path):
    advisory, general_id = register_id(app, "advisory"), register_id(app, "outgoing")
    doc_id = make_document("approved", type_code="QĐ", summary="Khen thưởng tập thể, cá nhân năm 2025",
                           register_id=advisory)
    with app.app_context():
        assert get_doc(doc_id).notation == "QĐ-HĐTĐKT"  # known while drafting, printed in what is approved
    assert issue(app, demo, doc_id) == "01/QĐ-HĐTĐKT"
    text = pdf_text(app, doc_id, tmp_path)
    assert "Số: 01/QĐ-HĐTĐKT " in text and "QĐ-LĐLĐ" not in text
    header = text.split("CỘNG HÒA")[0]
    # the organisation above, the advisory body as the issuing body
    assert header.index("LIÊN ĐOÀN LAO ĐỘNG") < header.index("HỘI ĐỒNG THI ĐUA - KHEN THƯỞNG")
    with app.app_context():
        clerk = db.session.get(User, demo["vanthu"])
        assert [e.reference for e in outgoing_entries(db.session.get(Register, advisory), 2026, viewer=clerk)] == [
            "01/QĐ-HĐTĐKT"]
        assert outgoing_entries(db.session.get(Register, general_id), 2026, viewer=clerk) == []


def test_issue_takes_the_number_from_the_drafted_register_only(app, demo, make_document):
    advisory = register_id(app, "advisory")
    doc_id = make_document("approved", type_code="QĐ", register_id=advisory)
    clerk = app.test_client()
    login(clerk, "vanthu")
    page = clerk.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Sổ văn bản Hội đồng Thi đua - Khen thưởng" in page and "…/QĐ-HĐTĐKT" in page
    with pytest.raises(ValidationFailed, match="không đổi được sổ khi ban hành"):
        issue(app, demo, doc_id, register_id=register_id(app, "outgoing"))
    assert counters(app) == 0
    with app.app_context():
        assert get_doc(doc_id).status == "approved" and get_doc(doc_id).number is None


def test_register_defaults_and_refusals_while_drafting(app, demo, make_document):
    plain = make_document("draft")
    secret = make_document("draft", secrecy="Mật", reader_ids=[demo["vanthu"]])
    with app.app_context():
        assert get_doc(plain).register.kind == "outgoing" and get_doc(secret).register.kind == "secret"
    for overrides, message in (({"register_id": register_id(app, "secret")}, "Văn bản mật phải lấy số"),
                               ({"register_id": register_id(app, "copies")}, "không dùng để cấp số văn bản đi"),
                               ({"register_id": register_id(app, "incoming")}, "không dùng để cấp số văn bản đi"),
                               ({"register_id": 999999}, "Sổ đăng ký không tồn tại")):
        with pytest.raises(ValidationFailed, match=message):
            make_document("draft", **overrides)


@pytest.mark.parametrize(("with_unit", "reference"), [(True, "01/LĐLĐ-TG"), (False, "01/LĐLĐ")])
def test_cong_van_notation_with_or_without_the_drafting_unit(app, demo, make_document, tmp_path, with_unit,
                                                            reference):
    with app.app_context():
        org = db.session.execute(select(Organisation)).scalar_one()
        assert org.cong_van_with_unit is True  # the Decree's form is the default
        org.cong_van_with_unit = with_unit
        db.session.commit()
    doc_id = make_document("approved", type_code="CV", summary="V/v tuyên truyền cải cách thủ tục hành chính")
    assert issue(app, demo, doc_id) == reference
    text = pdf_text(app, doc_id, tmp_path)
    assert f"Số: {reference} " in text and "V/v tuyên truyền cải cách thủ tục hành chính" in text


def test_a_number_that_would_not_fit_its_field_is_refused_and_later_drafts_make_room(app, demo, make_document):
    from edoc.core.clock import vietnam_today
    from edoc.core.errors import Conflict
    from edoc.registers.numbering import take_next_number

    year = vietnam_today().year
    early = make_document("approved")  # rendered while the register is at 0: room for three digits
    with app.app_context():
        register = db.session.get(Register, register_id(app, "outgoing"))
        take_next_number(register, year)
        db.session.execute(RegisterCounter.__table__.update().values(last_number=999))
        db.session.commit()
    with pytest.raises(Conflict, match="Số 1000 không vừa ô số của bản đã duyệt"), app.app_context():
        clerk = db.session.get(User, demo["vanthu"])
        actions.issue_document(clerk, get_doc(early))
    assert counters(app) == 999
    late = make_document("approved")  # rendered now: room for four digits
    with app.app_context():
        doc = actions.issue_document(db.session.get(User, demo["vanthu"]), get_doc(late))
        assert doc.reference == "1000/KH-LĐLĐ"
        assert get_doc(early).status == "approved" and get_doc(early).number is None
