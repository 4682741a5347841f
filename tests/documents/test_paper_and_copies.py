"""Issue 8, item 1 and its bad input: nothing is issued that nobody signed. A document its signer did not sign
digitally is issued only through its own path, with the scan of the signed paper original; without either,
issuing is a 409 saying what is missing. An electronic copy holds the whole original with the copy block, numbered
in the copies register and signed by the organisation; a recalled document has none."""

from __future__ import annotations

import io
import re
import subprocess

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.documents import actions, boxes, copies, drafting, paper, recall
from edoc.files.service import read_verified
from edoc.rendering.merge import page_count
from signing.validate import validate_pdf
from tests.documents.conftest import api_token, get_doc, minimal_docx, numbered, scan_png, stored
from tests.support.components import require_tool
from tests.support.web import csrf_token, login


def _client(app, username: str):
    client = app.test_client()
    login(client, username)
    return client


def _post(client, path: str, data: dict, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/")}, **kwargs)


def _error(html: str) -> str:
    match = re.search(r'id="action-error">([^<]*)<', html)
    assert match, "no message on the page"
    return match.group(1)


def _trust_roots(app):
    from edoc.signatures.trust import trust_roots

    with app.app_context():
        return trust_roots(db.session.get(User, 1).organisation_id)


def test_issuing_with_no_signature_and_no_scan_is_a_409_saying_what_is_missing(app, demo, make_document):
    doc_id = make_document(paper=False)
    clerk = _client(app, "vanthu")
    with app.app_context():
        before_to_do = {t.key: t.count for t in boxes.to_do(db.session.get(User, demo["vanthu"]))}["to_issue"]
    before = numbered(app), stored(app)
    page = clerk.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert 'id="issue-form"' not in page and 'id="paper-form"' in page  # no issue button: the scan comes first
    answer = _post(clerk, f"/documents/{doc_id}/issue", {})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and _error(html) == paper.NEEDS_SIGNATURE
    api = app.test_client().post(f"/api/v1/documents/{doc_id}/issue", json={}, headers=api_token(app, demo["vanthu"]))
    assert api.status_code == 409 and api.json["error"]["message"] == paper.NEEDS_SIGNATURE
    assert (numbered(app), stored(app)) == before
    with app.app_context():
        assert get_doc(doc_id).status == "approved" and get_doc(doc_id).number is None
        # the clerk's to-do counts what can really be issued: this one waits for a signature, not for the clerk
        counted = {t.key: t.count for t in boxes.to_do(db.session.get(User, demo["vanthu"]))}["to_issue"]
    assert counted == before_to_do
    signed_on_paper = make_document()
    with app.app_context():
        after = {t.key: t.count for t in boxes.to_do(db.session.get(User, demo["vanthu"]))}["to_issue"]
    assert after == counted + 1 and signed_on_paper


def test_a_document_signed_on_paper_is_issued_with_its_scan_and_says_so(app, demo, make_document, tmp_path):
    doc_id = make_document(paper=False, recipients=[drafting.RecipientData("user", "act", user_id=demo["daibieu"])])
    clerk = _client(app, "vanthu")
    uploaded = _post(clerk, f"/documents/{doc_id}/paper", {"scan": (io.BytesIO(scan_png()), "ban-goc-da-ky.png")},
                     content_type="multipart/form-data")
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)[:500]
    page = clerk.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "ký trên giấy" in page and 'id="paper-scan"' in page and 'id="issue-form"' in page
    leader_page = _client(app, "chutich").get(f"/documents/{doc_id}").get_data(as_text=True)
    assert 'id="sign-form"' not in leader_page  # declared signed on paper: no digital signature over it any more
    assert _post(clerk, f"/documents/{doc_id}/issue", {}).status_code == 302
    with app.app_context():
        doc = get_doc(doc_id)
        assert doc.status == "issued" and doc.signed_on_paper and doc.signature_label == "ký trên giấy"
        issued = read_verified(doc.issued_file)
        rendered = read_verified(doc.current_version.pdf_file)
    # the document's text with its number, then the scan's page, signed by the organisation
    assert page_count(issued) == page_count(rendered) + 1
    report = validate_pdf(issued, trust_roots=_trust_roots(app), allow_fetching=False, revocation_mode="off")
    assert [s.field for s in report.signatures] == ["sig_paper"] and report.all_valid
    require_tool("pdftotext", "poppler-utils")
    path = tmp_path / "issued.pdf"
    path.write_bytes(issued)
    text = subprocess.run(["pdftotext", "-l", "1", str(path), "-"], capture_output=True, text=True).stdout
    assert "01" in text and "KH-LĐLĐ" in text
    # said on the document page, to the recipient, in the register and by the API
    recipient_page = _client(app, "daibieu").get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Ký trên giấy" in recipient_page
    register = clerk.get("/registers/").get_data(as_text=True)
    register_id = re.search(r'href="/registers/(\d+)', register).group(1)
    assert "Ký trên giấy" in clerk.get(f"/registers/{register_id}").get_data(as_text=True)
    body = app.test_client().get(f"/api/v1/documents/{doc_id}", headers=api_token(app, demo["vanthu"])).json
    assert body["signature"] == "paper" and body["signed_on_paper"] is True


def test_a_scan_that_is_not_a_pdf_or_an_image_is_refused_on_the_page(app, demo, make_document):
    doc_id = make_document(paper=False)
    clerk = _client(app, "vanthu")
    before = stored(app)
    cases = [
        (minimal_docx(["Bản gốc"]), "ban-goc.docx", 415, "phải là tệp PDF hoặc ảnh"),
        (b"GIF89a" + b"\x00" * 64, "ban-goc.gif", 415, "phải là tệp PDF hoặc ảnh"),
        (scan_png(), "ban-goc.pdf", 415, "phải là tệp PDF hoặc ảnh"),  # an image named .pdf: its bytes decide
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "hong.pdf", 400, "Không đọc được bản chụp"),
    ]
    for data, name, status, message in cases:
        answer = _post(clerk, f"/documents/{doc_id}/paper", {"scan": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")
        html = answer.get_data(as_text=True)
        assert (answer.status_code, message in _error(html)) == (status, True), (name, answer.status_code)
        assert 'id="doc-status"' in html  # the document's page, not an error page
    empty = _post(clerk, f"/documents/{doc_id}/paper", {}, content_type="multipart/form-data")
    assert empty.status_code == 400 and "Chưa chọn tệp" in _error(empty.get_data(as_text=True))
    assert stored(app) == before
    with app.app_context():
        assert get_doc(doc_id).paper_scan_file_id is None


def test_an_electronic_copy_holds_the_whole_original_and_the_organisation_signs_it(app, demo, make_document,
                                                                                    tmp_path):
    doc_id = make_document()
    with app.app_context():
        clerk = db.session.get(User, demo["vanthu"])
        actions.issue_document(clerk, get_doc(doc_id))
        copy = copies.make_copy(clerk, get_doc(doc_id), "SY")
        db.session.commit()
        copy_id, original = copy.id, read_verified(get_doc(doc_id).issued_file)
        copy_pdf = read_verified(get_doc(copy_id).issued_file)
        assert get_doc(copy_id).reference == "01/SY-LĐLĐ"
    assert page_count(copy_pdf) == page_count(original) + 1
    report = validate_pdf(copy_pdf, trust_roots=_trust_roots(app), allow_fetching=False, revocation_mode="off")
    assert [s.field for s in report.signatures] == ["sig_copy"] and report.all_valid
    require_tool("pdftotext", "poppler-utils")
    path = tmp_path / "copy.pdf"
    path.write_bytes(copy_pdf)
    pages = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split("\f")
    assert "KẾ HOẠCH" in pages[0] and "Chỉ thị 15-CT/TU" in " ".join(pages[0].split())
    last = " ".join(pages[page_count(copy_pdf) - 1].split())
    assert "SAO Y" in last and "01/SY-LĐLĐ" in last


def test_a_copy_of_a_recalled_document_is_refused(app, demo, make_document):
    doc_id = make_document()
    with app.app_context():
        clerk = db.session.get(User, demo["vanthu"])
        actions.issue_document(clerk, get_doc(doc_id))
        recall.recall(clerk, get_doc(doc_id), "Sai nơi nhận")
        db.session.commit()
    before = numbered(app), stored(app)
    page = _client(app, "vanthu")
    answer = _post(page, f"/documents/{doc_id}/copy", {"form": "SY", "copies": "2"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "đã bị thu hồi hoặc thay thế" in _error(html) and 'id="doc-status"' in html
    api = app.test_client().post(f"/api/v1/documents/{doc_id}/copies", json={"form": "SY"},
                                 headers=api_token(app, demo["vanthu"]))
    assert api.status_code == 409 and "đã bị thu hồi" in api.json["error"]["message"]
    assert (numbered(app), stored(app)) == before
