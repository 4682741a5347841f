"""Registers: the outgoing register's ten columns (Appendix IV) from data, in the page, the XLSX, the PDF and the
API, with its filters; the secret register's masking; configuring registers; copies numbered in the copies
register; every type of Appendix III numbered by some register."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.contacts.models import Contact
from edoc.core.db import db
from edoc.core.errors import NotAllowed, ValidationFailed
from edoc.documents import actions, copies, drafting, issuing, recall, review
from edoc.organisations.models import Unit
from edoc.registers.entries import COLUMNS, outgoing_entries
from edoc.registers.models import Register
from edoc.registers.service import DEFAULT_REGISTERS, KIND_FOR_TYPE
from edoc.registers.types import get_type
from tests.documents.conftest import api_token, get_doc, numbered, signed_on_paper, statements
from tests.support.components import require_tool
from tests.support.web import csrf_token, login

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nd30-2020"
APPENDIX_3 = FIXTURES / "appendix-3-type-abbreviations.md"
APPENDIX_4 = FIXTURES / "appendix-4-registers.md"


def outgoing_register_headings() -> list[str]:
    """The ten column headings of Appendix IV's Sổ đăng ký văn bản đi, from the Decree's table (not from the code
    under test)."""
    text = APPENDIX_4.read_text(encoding="utf-8")
    line = text.split("## Sổ đăng ký văn bản đi", 1)[1].splitlines()[1]
    headings = [re.sub(r"^\(\d+\) ", "", cell.strip()) for cell in line.split("|")]
    assert len(headings) == 10, headings
    return headings
APRIL, MAY = datetime(2026, 4, 10, 2, tzinfo=UTC), datetime(2026, 5, 4, 2, tzinfo=UTC)


def _register(app, kind: str) -> int:
    with app.app_context():
        return db.session.execute(select(Register.id).where(Register.kind == kind)).scalar_one()


def _issue(app, demo, doc_id: int, at: datetime) -> None:
    with app.app_context():
        actions.issue_document(db.session.get(User, demo["vanthu"]), get_doc(doc_id), at=at)


@pytest.fixture
def two_entries(app, demo, make_document) -> tuple[int, int]:
    with app.app_context():
        tg = db.session.execute(select(Unit.id).where(Unit.abbreviation == "TG")).scalar_one()
        contact = db.session.execute(select(Contact.id).order_by(Contact.id)).scalars().first()
    first = make_document(summary="Đại hội Công đoàn cơ sở nhiệm kỳ 2026-2031", recipients=[
        drafting.RecipientData("user", "act", user_id=demo["daibieu"]),
        drafting.RecipientData("unit", "info", unit_id=tg),
        drafting.RecipientData("external", "info", contact_id=contact)])
    second = make_document(type_code="TB", summary="Lịch trực Tết", recipients=[
        drafting.RecipientData("user", "act", user_id=demo["thuky"])])
    _issue(app, demo, first, APRIL)
    _issue(app, demo, second, MAY)
    reader = app.test_client()
    login(reader, "daibieu")
    reader.get(f"/documents/{first}")  # read by the delegate
    return first, second


def test_the_ten_columns_come_from_data(app, demo, two_entries):
    with app.app_context():
        register = db.session.get(Register, _register(app, "outgoing"))
        first, second = outgoing_entries(register, 2026, viewer=db.session.get(User, demo["vanthu"]))
    assert first.reference == "01/KH-LĐLĐ" and first.issued_on.isoformat() == "2026-04-10"
    assert first.type_and_summary == "Kế hoạch: Đại hội Công đoàn cơ sở nhiệm kỳ 2026-2031"
    assert first.signer == "Nguyễn Văn Hùng"
    assert first.recipients == ("Hoàng Văn Nam, Chủ tịch CĐCS Công ty Vận tải Gia Lâm; Ban Tuyên giáo; "
                                "LĐLĐ thành phố Hà Nội")
    assert first.archive == "VT, TG" and first.copies == 1
    assert first.sent_on.isoformat() == "2026-04-10"  # the day it reached the inboxes
    assert first.receipt == ("Hoàng Văn Nam, Chủ tịch CĐCS Công ty Vận tải Gia Lâm: đã đọc 1/1; "
                             "Ban Tuyên giáo: đã đọc 0/1; LĐLĐ thành phố Hà Nội: gửi thủ công")
    assert second.reference == "02/TB-LĐLĐ" and second.receipt == "Đỗ Thị Mai, Chánh Văn phòng: đã đọc 0/1"


def test_filters_year_month_and_accent_insensitive_search(app, demo, two_entries):
    register_id = _register(app, "outgoing")
    headers = api_token(app, demo["vanthu"])

    def refs(query: str) -> list[str]:
        body = app.test_client().get(f"/api/v1/registers/{register_id}/entries?{query}", headers=headers).get_json()
        return [e["reference"] for e in body["entries"]]

    assert refs("year=2026") == ["01/KH-LĐLĐ", "02/TB-LĐLĐ"]
    assert refs("year=2025") == []
    assert refs("year=2026&month=5") == ["02/TB-LĐLĐ"]
    assert refs("year=2026&q=dai%20hoi%20cong%20doan") == ["01/KH-LĐLĐ"]  # đ searched as d, no accents
    assert refs("year=2026&q=%C4%90%E1%BA%A0I%20H%E1%BB%98I") == ["01/KH-LĐLĐ"]  # ĐẠI HỘI, upper case
    assert refs("year=2026&q=do%20thi%20mai") == ["02/TB-LĐLĐ"]  # column 5
    assert refs("year=2026&q=tb-ldld") == ["02/TB-LĐLĐ"]  # column 1
    for bad in ("year=abc", "year=2026&month=13", "month=4"):
        answer = app.test_client().get(f"/api/v1/registers/{register_id}/entries?{bad}", headers=headers)
        assert answer.status_code == 400, bad
    clerk = app.test_client()
    login(clerk, "vanthu")
    page = clerk.get(f"/registers/{register_id}?year=2026&q=lich%20truc").get_data(as_text=True)
    assert "02/TB-LĐLĐ" in page and "01/KH-LĐLĐ" not in page


def test_the_api_returns_all_ten_columns(app, demo, two_entries):
    body = app.test_client().get(f"/api/v1/registers/{_register(app, 'outgoing')}/entries?year=2026",
                                 headers=api_token(app, demo["vanthu"])).get_json()
    assert body["columns"] == COLUMNS
    entry = body["entries"][0]
    assert {k: entry[k] for k in ("reference", "issued_on", "type_and_summary", "signer", "recipients", "archive",
                                  "copies", "sent_on", "receipt", "note")} == {
        "reference": "01/KH-LĐLĐ", "issued_on": "2026-04-10",
        "type_and_summary": "Kế hoạch: Đại hội Công đoàn cơ sở nhiệm kỳ 2026-2031", "signer": "Nguyễn Văn Hùng",
        "recipients": "Hoàng Văn Nam, Chủ tịch CĐCS Công ty Vận tải Gia Lâm; Ban Tuyên giáo; LĐLĐ thành phố Hà Nội",
        "archive": "VT, TG", "copies": 1, "sent_on": "2026-04-10",
        "receipt": "Hoàng Văn Nam, Chủ tịch CĐCS Công ty Vận tải Gia Lâm: đã đọc 1/1; Ban Tuyên giáo: đã đọc 0/1; "
                   "LĐLĐ thành phố Hà Nội: gửi thủ công", "note": "Ký trên giấy."}


def test_the_page_shows_the_ten_columns_of_appendix_4(app, demo, two_entries):
    clerk = app.test_client()
    login(clerk, "vanthu")
    page = clerk.get(f"/registers/{_register(app, 'outgoing')}?year=2026").get_data(as_text=True)
    headings = re.findall(r"<th>([^<(][^<]*)</th>", page)
    assert headings == outgoing_register_headings()
    assert re.findall(r"<th>\((\d+)\)</th>", page) == [str(i) for i in range(1, 11)]


def test_the_register_opens_on_the_year_of_the_vietnam_day(app, demo, monkeypatch):
    """With no year asked, the register pages take the year of the Vietnam calendar day, as numbering does: at
    17:30 UTC on 31 December 2025 it is already 2026 in Hà Nội; an hour earlier it is still 2025 there."""
    from edoc.core import clock

    register_id = _register(app, "outgoing")
    clerk = app.test_client()
    login(clerk, "vanthu")
    for moment, year in ((datetime(2025, 12, 31, 17, 30, tzinfo=UTC), 2026),
                         (datetime(2025, 12, 31, 16, 30, tzinfo=UTC), 2025)):
        monkeypatch.setattr(clock, "utcnow", lambda moment=moment: moment)
        assert f"Sổ đăng ký văn bản đi năm {year}</h1>" in clerk.get(f"/registers/{register_id}").get_data(as_text=True)
        assert f"/registers/{register_id}?year={year}" in clerk.get("/registers/").get_data(as_text=True)


def _replace(app, demo, old_id: int, at: datetime) -> int:
    """The clerk drafts a replacement of ``old_id``, the chair approves it, the clerk issues it; its id."""
    with app.app_context():
        clerk, chair = db.session.get(User, demo["vanthu"]), db.session.get(User, demo["chutich"])
        new_id = recall.start_replacement(clerk, get_doc(old_id)).id
        db.session.commit()
        review.submit(clerk, get_doc(new_id))
        review.approve(chair, get_doc(new_id))
        signed_on_paper(get_doc(new_id))
        issuing.issue(clerk, get_doc(new_id), at=at)
        db.session.commit()
    return new_id


@pytest.mark.parametrize("slice_of", [1, None])
def test_rows_and_replacements_are_asked_in_slices_of_ids(app, demo, make_document, monkeypatch, slice_of):
    """What was delivered to the reader (``policy.viewable_among``) and what replaced what
    (``recall.replacements_of``) are asked with ``IN`` lists a slice of ids at a time (``edoc.core.db.chunked``),
    so a register of a big year stays under the drivers' bind-parameter limits. In slices of one id as in the
    default slices, a leader reads in full exactly the rows addressed to them, replaced rows name what replaced
    them, and the API's list asks once per slice what replaced its documents, not once per document."""
    from edoc.core import db as core_db

    if slice_of is not None:
        monkeypatch.setattr(core_db, "IN_LIST_CHUNK", slice_of)
    to = {who: [drafting.RecipientData("user", "act", user_id=demo[who])] for who in ("phochutich", "daibieu")}
    docs = [make_document(render=False, summary=f"Văn bản {i}", recipients=to[who])
            for i, who in enumerate(("phochutich", "daibieu", "phochutich"), start=1)]
    for doc_id in docs:
        with app.app_context():
            issuing.issue(db.session.get(User, demo["vanthu"]), get_doc(doc_id), at=APRIL)
            db.session.commit()
    _replace(app, demo, docs[0], MAY)
    _replace(app, demo, docs[1], MAY)
    with app.app_context():
        register = db.session.get(Register, _register(app, "outgoing"))
        deputy = db.session.get(User, demo["phochutich"])
        with statements(app) as sent:
            rows = outgoing_entries(register, 2026, viewer=deputy)
        assert [(e.reference, e.masked) for e in rows] == [
            ("01/KH-LĐLĐ", False), ("02/KH-LĐLĐ", True), ("03/KH-LĐLĐ", False),
            ("04/KH-LĐLĐ", False), ("05/KH-LĐLĐ", True)]  # the replacements reach the same people
        delivered = [q for q in sent if re.search(r"delivery\.document_id (IN|=)", q)]
        assert len(delivered) == (5 if slice_of == 1 else 1), delivered
        clerk_rows = outgoing_entries(register, 2026, viewer=db.session.get(User, demo["vanthu"]))
        assert [e.note for e in clerk_rows[:2]] == ["Ký trên giấy. Đã bị thay thế bởi văn bản 04/KH-LĐLĐ",
                                                    "Ký trên giấy. Đã bị thay thế bởi văn bản 05/KH-LĐLĐ"]
        assert {k: v.reference for k, v in recall.replacements_of(docs).items()} == {
            docs[0]: "04/KH-LĐLĐ", docs[1]: "05/KH-LĐLĐ"}
    with statements(app) as sent:
        listed = app.test_client().get("/api/v1/documents?box=issued", headers=api_token(app, demo["vanthu"]))
    by = {d["id"]: d["replaced_by"] and d["replaced_by"]["reference"] for d in listed.get_json()["documents"]}
    assert (by[docs[0]], by[docs[1]], by[docs[2]]) == ("04/KH-LĐLĐ", "05/KH-LĐLĐ", None)
    replacements = [q for q in sent if re.search(r"replaces_id (IN|=)", q)]
    assert len(replacements) == (2 if slice_of == 1 else 1), replacements


def test_xlsx_headers_and_cells(app, demo, two_entries):
    clerk = app.test_client()
    login(clerk, "vanthu")
    response = clerk.get(f"/registers/{_register(app, 'outgoing')}/export.xlsx?year=2026&month=4")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "LIÊN ĐOÀN LAO ĐỘNG HUYỆN GIA LÂM" and rows[1][0] == "SỔ ĐĂNG KÝ VĂN BẢN ĐI NĂM 2026"
    assert list(rows[3]) == outgoing_register_headings() and list(rows[4]) == [f"({i})" for i in range(1, 11)]
    assert len(rows) == 6  # month 4: one entry
    cells = list(rows[5])
    assert cells[0] == "01/KH-LĐLĐ" and cells[1].date().isoformat() == "2026-04-10"
    assert cells[2:7] == ["Kế hoạch: Đại hội Công đoàn cơ sở nhiệm kỳ 2026-2031", "Nguyễn Văn Hùng",
                          "Hoàng Văn Nam, Chủ tịch CĐCS Công ty Vận tải Gia Lâm; Ban Tuyên giáo; LĐLĐ thành phố Hà Nội",
                          "VT, TG", 1]
    assert cells[7].date().isoformat() == "2026-04-10" and cells[8].startswith("Hoàng Văn Nam, Chủ tịch CĐCS")
    assert cells[9] == "Ký trên giấy."  # signed on paper (the fixture's documents), said in the note column


def test_printable_pdf_text(app, demo, two_entries, tmp_path):
    require_tool("pdftotext", "poppler-utils")
    clerk = app.test_client()
    login(clerk, "vanthu")
    response = clerk.get(f"/registers/{_register(app, 'outgoing')}/print.pdf?year=2026")
    (tmp_path / "register.pdf").write_bytes(response.data)
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "register.pdf"), "-"],
                                   capture_output=True, text=True).stdout.split())
    for part in ("SỔ ĐĂNG KÝ VĂN BẢN ĐI Năm 2026", "01/KH-LĐLĐ", "02/TB-LĐLĐ", "10/04/2026", "04/05/2026", "VT, TG",
                 "đã đọc 1/1"):
        assert part in text, part
    headings = outgoing_register_headings()
    for heading in headings:
        assert heading in text, (heading, text[:600])
    # in the Decree's order, then their numbers, as the printed header reads
    assert " ".join(headings) + " " + " ".join(f"({i})" for i in range(1, 11)) in text


def test_secret_register_for_clerks_with_entries_masked_unless_named(app, demo, make_document):
    from edoc.accounts.models import Role
    from edoc.accounts.passwords import hash_password

    with app.app_context():
        second_clerk = User(organisation_id=db.session.execute(select(Register.organisation_id)).scalars().first(),
                            username="vanthu2", full_name="Lê Thị Văn Thư", password_hash=hash_password("GiaLam@2023"))
        second_clerk.roles = {Role.CLERK}
        db.session.add(second_clerk)
        db.session.commit()
        second_id = second_clerk.id
    doc_id = make_document(secrecy="Mật", summary="Phương án bảo vệ bí mật", reader_ids=[demo["vanthu"]])
    _issue(app, demo, doc_id, APRIL)
    secret = _register(app, "secret")
    named = app.test_client().get(f"/api/v1/registers/{secret}/entries?year=2026",
                                  headers=api_token(app, demo["vanthu"])).get_json()["entries"]
    assert named[0]["type_and_summary"] == "Kế hoạch: Phương án bảo vệ bí mật"
    other = app.test_client().get(f"/api/v1/registers/{secret}/entries?year=2026",
                                  headers=api_token(app, second_id)).get_json()["entries"]
    assert other[0]["reference"] == "01/KH-LĐLĐ"  # the numbers run on, no gap
    assert other[0]["type_and_summary"] == "Kế hoạch: (văn bản mật, chỉ người có tên được xem)"
    assert other[0]["recipients"] == "—" and other[0]["receipt"] == ""
    masked_search = app.test_client().get(f"/api/v1/registers/{secret}/entries?year=2026&q=bao%20ve",
                                          headers=api_token(app, second_id)).get_json()["entries"]
    assert masked_search == []  # the hidden trích yếu cannot be probed by searching
    for person in ("chutich", "chuyenvien"):
        assert app.test_client().get(f"/api/v1/registers/{secret}/entries?year=2026",
                                     headers=api_token(app, demo[person])).status_code == 403


def test_admins_configure_registers_in_the_pages(app, demo):
    admin = app.test_client()
    login(admin, "quantri")
    page = admin.get("/registers/manage").get_data(as_text=True)
    assert "Sổ văn bản Hội đồng Thi đua - Khen thưởng" in page and "Ký hiệu công văn" in page
    made = admin.post("/registers/manage", data={
        "kind": "advisory", "name": "Sổ văn bản Tổ công tác cải cách hành chính", "issuer_abbreviation": "TCTCCHC",
        "issuer_name": "Tổ công tác cải cách hành chính", "csrf_token": csrf_token(admin, "/registers/manage")})
    assert made.status_code == 302
    with app.app_context():
        register = db.session.execute(select(Register).where(Register.issuer_abbreviation == "TCTCCHC")).scalar_one()
        assert register.issuer_name == "TỔ CÔNG TÁC CẢI CÁCH HÀNH CHÍNH" and register.active
        register_id = register.id
    bad = admin.post("/registers/manage", data={"kind": "advisory", "name": "Sổ thiếu viết tắt",
                                                "csrf_token": csrf_token(admin, "/registers/manage")})
    assert bad.status_code == 400 and "cần chữ viết tắt" in bad.get_data(as_text=True)
    off = admin.post(f"/registers/manage/{register_id}", data={
        "name": "Sổ Tổ công tác (cũ)", "active": "0", "issuer_abbreviation": "TCTCCHC", "issuer_name": "Tổ công tác",
        "csrf_token": csrf_token(admin, "/registers/manage")})
    assert off.status_code == 302
    options = admin.post("/registers/manage", data={"action": "options", "cong_van_with_unit": "0",
                                                    "csrf_token": csrf_token(admin, "/registers/manage")})
    assert options.status_code == 302
    with app.app_context():
        register = db.session.get(Register, register_id)
        assert (register.name, register.active) == ("Sổ Tổ công tác (cũ)", False)
        assert register.organisation.cong_van_with_unit is False
    clerk = app.test_client()
    login(clerk, "vanthu")
    assert clerk.get("/registers/manage").status_code == 403


def test_a_copy_is_numbered_in_the_copies_register(app, demo, make_document, tmp_path):
    doc_id = make_document()
    _issue(app, demo, doc_id, APRIL)
    clerk = app.test_client()
    login(clerk, "vanthu")
    assert "Cấp số bản sao" in clerk.get(f"/documents/{doc_id}").get_data(as_text=True)
    response = clerk.post(f"/documents/{doc_id}/copy", data={"form": "SY", "copies": "2",
                                                             "csrf_token": csrf_token(clerk, "/")})
    assert response.status_code == 302
    copy_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        copy = get_doc(copy_id)
        assert (copy.reference, copy.register.kind, copy.copy_of_id, copy.copies) == ("01/SY-LĐLĐ", "copies",
                                                                                      doc_id, 2)
        entries = outgoing_entries(copy.register, copy.year, viewer=db.session.get(User, demo["vanthu"]))
        assert [e.reference for e in entries] == ["01/SY-LĐLĐ"] and "Bản sao y văn bản 01/KH-LĐLĐ" in entries[0].note
        pdf = copy.issued_file
    shown = clerk.get(f"/documents/{copy_id}").get_data(as_text=True)
    assert "Bản sao của văn bản" in shown and "01/SY-LĐLĐ" in shown
    require_tool("pdftotext", "poppler-utils")
    from edoc.files.service import read_verified

    with app.app_context():
        (tmp_path / "copy.pdf").write_bytes(read_verified(pdf))
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "copy.pdf"), "-"], capture_output=True,
                                   text=True).stdout.split())
    assert "SAO Y" in text and "Số: 01/SY-LĐLĐ" in text and "01/KH-LĐLĐ" in text
    # the copies run their own sequence, shared by every copy form; a sao lục is made from the sao y
    second = clerk.post(f"/documents/{copy_id}/copy", data={"form": "SL", "csrf_token": csrf_token(clerk, "/")})
    assert second.status_code == 302
    with app.app_context():
        assert get_doc(int(second.headers["Location"].rsplit("/", 1)[1])).reference == "02/SL-LĐLĐ"
    counter = numbered(app)
    for source, form, message in ((doc_id, "SL", "Bản sao lục được sao từ bản sao y"),
                                  (copy_id, "SY", "không từ một bản sao"), (doc_id, "XX", "Hình thức sao")):
        with pytest.raises(ValidationFailed, match=message), app.app_context():
            copies.make_copy(db.session.get(User, demo["vanthu"]), get_doc(source), form)
    with pytest.raises(NotAllowed), app.app_context():
        copies.make_copy(db.session.get(User, demo["chuyenvien"]), get_doc(doc_id), "SY")
    assert numbered(app) == counter


def test_every_type_of_appendix_3_is_numbered_by_a_register():
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \|$", APPENDIX_3.read_text(encoding="utf-8"), re.M)
    types = [(re.sub(r"\s*\(.*\)$", "", name), abbr) for name, abbr in rows if abbr not in {"Chữ viết tắt", "---"}]
    assert len(types) == 30
    default_kinds = {kind for kind, *_ in DEFAULT_REGISTERS}
    for name, abbr in types:
        doc_type = get_type(abbr)
        assert doc_type is not None and doc_type.abbreviation == abbr, abbr
        assert doc_type.name.replace("ỏa", "oả").lower() == name.replace("ỏa", "oả").lower() or \
            doc_type.name.lower() == name.lower().replace("uỷ", "ủy"), (abbr, name, doc_type.name)
        kinds = KIND_FOR_TYPE[doc_type.kind.value]
        assert set(kinds) & default_kinds, abbr  # a register every organisation gets numbers it
    assert KIND_FOR_TYPE[get_type("SY").kind.value] == KIND_FOR_TYPE[get_type("SL").kind.value]
    assert get_type("CV").abbreviation is None  # công văn: no type abbreviation


def test_contacts_directory_pages(app, demo):
    clerk = app.test_client()
    login(clerk, "vanthu")
    page = clerk.get("/contacts/").get_data(as_text=True)
    assert "UBND huyện Gia Lâm" in page and "Thêm nơi nhận" in page
    added = clerk.post("/contacts/", data={
        "name": "Ủy ban Mặt trận Tổ quốc huyện Gia Lâm", "short_name": "UBMTTQ huyện", "organ_id": "000.00.09.H26",
        "email": "mttq@gialam.example.vn", "csrf_token": csrf_token(clerk, "/contacts/")})
    assert added.status_code == 302
    with app.app_context():
        contact = db.session.execute(select(Contact).where(Contact.organ_id == "000.00.09.H26")).scalar_one()
        contact_id = contact.id
    bad = clerk.post("/contacts/", data={"name": "X", "organ_id": "mã có dấu cách",
                                                  "csrf_token": csrf_token(clerk, "/contacts/")})
    assert bad.status_code == 400 and "Mã định danh (OrganId)" in bad.get_data(as_text=True)
    off = clerk.post("/contacts/", data={
        "contact_id": str(contact_id), "name": "Ủy ban MTTQ huyện Gia Lâm", "short_name": "UBMTTQ huyện",
        "organ_id": "000.00.09.H26", "email": "", "active": "0",
        "csrf_token": csrf_token(clerk, "/contacts/")})
    assert off.status_code == 302
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert (contact.name, contact.email, contact.active) == ("Ủy ban MTTQ huyện Gia Lâm", "", False)
    drafter = app.test_client()
    login(drafter, "chuyenvien")
    assert "Thêm nơi nhận" not in drafter.get("/contacts/").get_data(as_text=True)
    assert "Bên ngoài: UBMTTQ huyện" not in drafter.get("/documents/new").get_data(as_text=True)  # inactive
    refused = drafter.post("/contacts/", data={"name": "Y", "csrf_token": csrf_token(drafter, "/")})
    assert refused.status_code == 403
