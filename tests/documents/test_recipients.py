"""Nơi nhận as data: recipients to act (Kính gửi), for information or supervision, and archive copies (the last
line, "- Lưu: VT, <unit>."); per-recipient status only for the clerk, the drafter and the signer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.contacts.models import Contact
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.documents import actions, drafting
from edoc.documents.spec import spec_for
from edoc.organisations.models import Unit
from edoc.registers.entries import outgoing_entries
from tests.documents.conftest import api_token, get_doc
from tests.support.web import csrf_token, login


def _units(app) -> dict[str, int]:
    with app.app_context():
        return {u.abbreviation: u.id for u in db.session.execute(select(Unit)).scalars()}


def _issue(app, demo, doc_id: int) -> None:
    with app.app_context():
        actions.issue_document(db.session.get(User, demo["vanthu"]), get_doc(doc_id))


def test_archive_recipients_drive_the_last_line_and_register_column_6(app, demo, make_document):
    units = _units(app)
    doc_id = make_document("approved", type_code="CV", summary="V/v tuyên truyền", recipients=[
        drafting.RecipientData("unit", "act", unit_id=units["TC"]),
        drafting.RecipientData("user", "info", user_id=demo["daibieu"]),
        drafting.RecipientData("unit", "archive", unit_id=units["VP"]),
        drafting.RecipientData("unit", "archive", unit_id=units["TG"])])
    with app.app_context():
        spec = spec_for(get_doc(doc_id))
        assert spec.kinh_gui == ["Ban Tổ chức"]
        assert spec.recipients == ["- Như trên;", "- Hoàng Văn Nam, Chủ tịch CĐCS Công ty Vận tải Gia Lâm;",
                                   "- Lưu: VT, VP, TG."]
    _issue(app, demo, doc_id)
    with app.app_context():
        doc = get_doc(doc_id)
        [entry] = outgoing_entries(doc.register, doc.year, viewer=db.session.get(User, demo["vanthu"]))
        assert entry.archive == "VT, VP, TG"
        assert "Ban Tổ chức" in entry.recipients and "Văn phòng" not in entry.recipients


def test_without_archive_recipients_the_drafting_unit_keeps_the_copy(app, demo, make_document):
    doc_id = make_document("draft")
    with app.app_context():
        assert spec_for(get_doc(doc_id)).recipients[-1] == "- Lưu: VT, TG."


def test_the_form_offers_act_information_and_archive(app, demo):
    units = _units(app)
    with app.app_context():
        contact = db.session.execute(select(Contact.id).order_by(Contact.id)).scalars().first()
    client = app.test_client()
    login(client, "chuyenvien")
    page = client.get("/documents/new").get_data(as_text=True)
    for label in ("Nơi nhận để thực hiện (Kính gửi)", "Nơi nhận để biết, để báo cáo, để giám sát",
                  "Lưu (ngoài văn thư)"):
        assert label in page
    form = {"type_code": "KH", "summary": "Kế hoạch tháng 5", "body": "Nội dung.", "secrecy": "", "urgency": "",
            "drafting_unit_id": str(units["TG"]), "register_id": "", "signer_id": str(demo["chutich"]),
            "signer_authority": "", "signer_authority_line": "", "signer_title": "", "kinh_gui": "",
            "recipients_act": [f"external:{contact}"], "recipients_info": [f"unit:{units['UBKT']}"],
            "recipients_archive": [f"unit:{units['VP']}"], "copies": "1", "note": "",
            "csrf_token": csrf_token(client, "/documents/new")}
    response = client.post("/documents/new", data=form)
    assert response.status_code == 302
    with app.app_context():
        doc = get_doc(int(response.headers["Location"].rsplit("/", 1)[1]))
        assert [(r.kind, r.purpose) for r in doc.recipients] == [("external", "act"), ("unit", "info"),
                                                                 ("unit", "archive")]
        assert spec_for(doc).recipients[-1] == "- Lưu: VT, VP."
    refused = client.post("/documents/new", data={**form, "recipients_archive": [f"external:{contact}"]})
    assert refused.status_code == 400 and "Bản lưu (Lưu) chỉ giao cho" in refused.get_data(as_text=True)


def test_external_archive_is_refused_at_service_level(app, demo, make_document):
    with app.app_context():
        contact = db.session.execute(select(Contact.id).order_by(Contact.id)).scalars().first()
    with pytest.raises(ValidationFailed, match="Bản lưu"):
        make_document("draft", recipients=[drafting.RecipientData("external", "archive", contact_id=contact)])


@pytest.mark.parametrize("channel", ["page", "api"])
def test_delivery_status_only_for_the_clerk_the_drafter_and_the_signer(app, demo, make_document, channel):
    units = _units(app)
    doc_id = make_document("approved", recipients=[drafting.RecipientData("user", "act", user_id=demo["daibieu"]),
                                                    drafting.RecipientData("unit", "info", unit_id=units["VP"])])
    _issue(app, demo, doc_id)
    for person, shown in {"vanthu": True, "chuyenvien": True, "chutich": True, "daibieu": False,
                          "thuky": False}.items():
        if channel == "page":
            client = app.test_client()
            login(client, person)
            page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
            assert "Hoàng Văn Nam" in page  # everyone sees Nơi nhận
            assert ("Đã nhận 1, đã đọc" in page) == shown, person
            assert ("Đỗ Thị Mai: " in page) == shown, person
        else:
            body = app.test_client().get(f"/api/v1/documents/{doc_id}/recipients",
                                         headers=api_token(app, demo[person])).get_json()
            assert body["status_shown"] is shown and len(body["recipients"]) == 2, person
            assert ("deliveries" in body["recipients"][1]) == shown, person
            if shown:
                assert {d["user_id"] for d in body["recipients"][1]["deliveries"]} == {
                    demo["vanthu"], demo["thuky"], demo["quantri"]}
