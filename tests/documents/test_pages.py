"""Issue 8, items 1-3 at the pages: a refused action keeps the person on the page they were on (the document's,
with the message in Vietnamese and what they typed kept, never a bare "Lỗi 4xx" page), each role is offered only
what it may do, recipients read what was issued (not drafts), the bell goes down as items are opened, the
actions that cannot be undone ask first, and batch signing starts with nothing ticked."""

from __future__ import annotations

import re

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.documents import actions, drafting, review
from edoc.notifications.service import unread_count
from edoc.signatures.labels import in_vietnamese
from tests.documents.conftest import get_doc, stored
from tests.support.web import csrf_token, login


def _client(app, username: str):
    client = app.test_client()
    login(client, username)
    return client


def _post(client, path: str, data: dict, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/")}, **kwargs)


def _is_document_page(html: str, doc_id: int) -> bool:
    """The answer is the document's own page (its status line and its forms), not the error page."""
    return 'id="doc-status"' in html and f"/documents/{doc_id}/" in html and "<h1>Lỗi" not in html


def _error(html: str) -> str:
    match = re.search(r'id="action-error">([^<]*)<', html)
    assert match, "no message on the page"
    return match.group(1)


def _issue(app, demo, doc_id: int) -> None:
    with app.app_context():
        actions.issue_document(db.session.get(User, demo["vanthu"]), get_doc(doc_id))


def test_an_empty_recall_reason_stays_on_the_document_page(app, demo, make_document):
    doc_id = make_document()
    _issue(app, demo, doc_id)
    clerk = _client(app, "vanthu")
    answer = _post(clerk, f"/documents/{doc_id}/recall", {"reason": "   "})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and _is_document_page(html, doc_id)
    assert _error(html) == "Ghi rõ lý do thu hồi."
    assert 'id="recall-form"' in html  # the form is still there to fill in
    with app.app_context():
        assert get_doc(doc_id).status == "issued"


def test_a_stale_tab_is_told_the_draft_was_approved_elsewhere(app, demo, make_document):
    """The leader's page still offers "Trả lại", but another tab of theirs approved the draft meanwhile: the answer
    says so (a conflict), not that only the signer may return it."""
    doc_id = make_document("submitted")
    leader = _client(app, "chutich")
    page = leader.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert 'id="return-form"' in page
    with app.app_context():  # meanwhile, another tab of the leader approves it
        review.approve(db.session.get(User, demo["chutich"]), get_doc(doc_id))
        db.session.commit()
    answer = _post(leader, f"/documents/{doc_id}/return", {"reason": "Bổ sung số liệu quý III"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and _is_document_page(html, doc_id)
    assert "đã được duyệt ở một phiên khác" in _error(html)
    approve = _post(leader, f"/documents/{doc_id}/approve", {})
    assert approve.status_code == 409 and "đã được duyệt ở một phiên khác" in _error(approve.get_data(as_text=True))


def test_a_stale_submit_and_a_stale_recall_say_what_happened(app, demo, make_document):
    doc_id = make_document("draft")
    drafter = _client(app, "chuyenvien")
    assert _post(drafter, f"/documents/{doc_id}/submit", {}).status_code == 302
    again = _post(drafter, f"/documents/{doc_id}/submit", {})
    assert again.status_code == 409 and "đã được trình ký ở một phiên khác" in _error(again.get_data(as_text=True))

    issued = make_document()
    _issue(app, demo, issued)
    clerk = _client(app, "vanthu")
    assert _post(clerk, f"/documents/{issued}/recall", {"reason": "Sai nơi nhận"}).status_code == 302
    twice = _post(clerk, f"/documents/{issued}/recall", {"reason": "Sai nơi nhận"})
    html = twice.get_data(as_text=True)
    assert twice.status_code == 409 and "đã được thu hồi ở một phiên khác" in _error(html)
    assert _is_document_page(html, issued)


def test_a_wrong_pin_stays_on_the_document_page_without_echoing_it(app, demo, make_document):
    doc_id = make_document(paper=False)
    leader = _client(app, "chutich")
    answer = _post(leader, f"/documents/{doc_id}/sign", {"pin": "999999"})
    html = answer.get_data(as_text=True)
    assert 400 <= answer.status_code < 500 and _is_document_page(html, doc_id)
    assert "PIN" in _error(html) and "999999" not in html
    assert 'id="sign-form"' in html  # to type it again
    with app.app_context():
        assert get_doc(doc_id).signed_file_id is None


def test_a_rejected_attachment_keeps_its_title_and_stores_nothing(app, demo, make_document):
    import io

    doc_id = make_document("draft")
    drafter = _client(app, "chuyenvien")
    before = stored(app)
    answer = _post(drafter, f"/documents/{doc_id}/attachments",
                   {"title": "Phụ lục I. Danh sách đơn vị", "file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "pl.pdf")},
                   content_type="multipart/form-data")
    html = answer.get_data(as_text=True)
    assert 400 <= answer.status_code < 500 and _is_document_page(html, doc_id)
    assert _error(html) and 'value="Phụ lục I. Danh sách đơn vị"' in html
    assert stored(app) == before
    empty = _post(drafter, f"/documents/{doc_id}/attachments", {"title": "Phụ lục II"},
                  content_type="multipart/form-data")
    assert empty.status_code == 400 and "Chưa chọn tệp phụ lục" in _error(empty.get_data(as_text=True))


def test_an_edit_of_a_submitted_draft_answers_with_its_page(app, demo, make_document):
    doc_id = make_document("submitted")
    drafter = _client(app, "chuyenvien")
    answer = drafter.get(f"/documents/{doc_id}/edit")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 403 and _is_document_page(html, doc_id)
    assert "Chỉ người soạn thảo được sửa dự thảo khi chưa trình ký" in _error(html)


def test_a_delegate_is_offered_no_drafting(app, demo):
    delegate = _client(app, "daibieu")
    page = delegate.get("/documents/").get_data(as_text=True)
    assert "Soạn văn bản" not in page and "Danh bạ nơi nhận" not in page
    tabs = re.findall(r'href="/documents/\?tab=(\w+)"', page)
    assert tabs == ["inbox"]
    new = delegate.get("/documents/new")
    assert new.status_code == 403 and "không có vai trò soạn thảo" in new.get_data(as_text=True)
    drafter_page = _client(app, "chuyenvien").get("/documents/").get_data(as_text=True)
    assert "Soạn văn bản" in drafter_page
    assert re.findall(r'href="/documents/\?tab=(\w+)"', drafter_page) == ["mine", "inbox"]
    clerk_tabs = re.findall(r'href="/documents/\?tab=(\w+)"', _client(app, "vanthu").get("/documents/")
                            .get_data(as_text=True))
    assert clerk_tabs == ["mine", "to_issue", "inbox", "issued"]


def test_a_recipient_reads_the_issued_version_not_the_drafts(app, demo, make_document):
    doc_id = make_document(recipients=[drafting.RecipientData("user", "act", user_id=demo["daibieu"])])
    _issue(app, demo, doc_id)
    with app.app_context():
        doc = get_doc(doc_id)
        draft_pdf, issued_pdf = doc.current_version.pdf_file_id, doc.issued_file_id
    recipient = _client(app, "daibieu")
    page = recipient.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Phiên bản" not in page and "Góp ý" not in page
    assert recipient.get(f"/files/{draft_pdf}").status_code == 404
    assert recipient.get(f"/files/{issued_pdf}").status_code == 200
    assert recipient.get(f"/documents/{doc_id}/pdf").status_code == 200
    drafter_page = _client(app, "chuyenvien").get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Phiên bản" in drafter_page


def test_the_bell_goes_down_as_items_are_opened(app, demo, make_document):
    first = make_document(recipients=[drafting.RecipientData("user", "act", user_id=demo["daibieu"])])
    second = make_document(recipients=[drafting.RecipientData("user", "act", user_id=demo["daibieu"])])
    _issue(app, demo, first)
    _issue(app, demo, second)
    with app.app_context():
        before = unread_count(demo["daibieu"])
    assert before >= 2
    recipient = _client(app, "daibieu")
    page = recipient.get(f"/documents/{first}").get_data(as_text=True)
    with app.app_context():
        assert unread_count(demo["daibieu"]) == before - 1
    assert f'id="unread-count" class="badge">{before - 1}<' in page  # the page itself shows the new count
    recipient.get(f"/documents/{first}")  # opened again: nothing more to clear
    recipient.get(f"/documents/{second}")
    with app.app_context():
        assert unread_count(demo["daibieu"]) == before - 2


def test_actions_that_cannot_be_undone_ask_first(app, demo, make_document):
    draft = make_document("draft")
    page = _client(app, "chuyenvien").get(f"/documents/{draft}").get_data(as_text=True)
    assert re.search(r'id="submit-form" data-confirm="Trình dự thảo này', page)
    submitted = make_document("submitted")
    page = _client(app, "chutich").get(f"/documents/{submitted}").get_data(as_text=True)
    assert re.search(r'id="return-form"\s+data-confirm="Trả lại dự thảo', page)
    approved = make_document()
    clerk = _client(app, "vanthu")
    page = clerk.get(f"/documents/{approved}").get_data(as_text=True)
    assert re.search(r'id="issue-form"\s+data-confirm="Cấp số', page)
    _issue(app, demo, approved)
    page = clerk.get(f"/documents/{approved}").get_data(as_text=True)
    assert re.search(r'id="recall-form"\s+data-confirm="Thu hồi văn bản 01/', page)
    assert "/static/js/confirm.js" in page and "onclick" not in page and "<script>" not in page
    assert clerk.get("/static/js/confirm.js").status_code == 200


def test_batch_signing_starts_with_nothing_ticked_and_says_what_each_is(app, demo, make_document):
    ids = [make_document(paper=False, summary=f"Kế hoạch số {i}") for i in range(2)]
    make_document(summary="Kế hoạch ký trên giấy")  # signed on paper: not the signer's to sign digitally
    page = _client(app, "chutich").get("/signatures/pending").get_data(as_text=True)
    assert ' checked' not in page
    for i, doc_id in enumerate(ids):
        assert f'name="ids" value="{doc_id}"' in page and f"Kế hoạch số {i}" in page
        assert f'href="/documents/{doc_id}/pdf"' in page
    assert "Kế hoạch ký trên giấy" not in page and "Xem bản PDF sẽ ký" in page
    assert "/static/js/batch-sign.js" in page and "<script>" not in page


def test_internal_names_are_said_in_vietnamese():
    assert in_vietnamese("Common Name: Nguyễn Văn Hùng, Organization: LĐLĐ huyện Gia Lâm, Country: VN") == (
        "Tên: Nguyễn Văn Hùng, Tổ chức: LĐLĐ huyện Gia Lâm, Quốc gia: VN")
    assert in_vietnamese("điền biểu mẫu (ô doc_day, doc_number) và thêm chữ ký (sig_seal)") == (
        "điền biểu mẫu (ô ngày ban hành, số văn bản) và thêm chữ ký (chữ ký số của cơ quan)")
    assert in_vietnamese("tệp không có ô chữ ký “sig_signer”") == "tệp không có ô chữ ký “chữ ký của người ký”"

def test_a_cong_van_with_no_recipient_cannot_be_submitted(app, demo, make_document):
    """A công văn is a letter to someone: with no Nơi nhận to act on it and no Kính gửi line it is refused at
    submit, on the document's page, saying what to do; with a Kính gửi line it goes."""
    doc_id = make_document("draft", type_code="CV", summary="V/v báo cáo kết quả Tháng Công nhân",
                           recipients=[drafting.RecipientData("user", "info", user_id=demo["daibieu"])])
    drafter = _client(app, "chuyenvien")
    answer = _post(drafter, f"/documents/{doc_id}/submit", {})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and _is_document_page(html, doc_id)
    assert "Công văn chưa có nơi nhận (Kính gửi)" in _error(html)
    with app.app_context():
        assert get_doc(doc_id).status == "draft"
    with_line = make_document("draft", type_code="CV", summary="V/v báo cáo", recipients=[],
                              kinh_gui="Liên đoàn Lao động thành phố Hà Nội")
    assert _post(drafter, f"/documents/{with_line}/submit", {}).status_code == 302


def _draft_form(page: str) -> dict[str, object]:
    """The edit form's fields as the page filled them in (selected options, texts, the version token)."""
    fields: dict[str, object] = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        if name not in {"csrf_token", "source"}:
            fields[name] = value
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        fields[name] = body.strip("\n")
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.findall(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', options)
        values = [a or b for a, b in chosen]
        if values:
            fields[name] = values if len(values) > 1 or "recipients" in name or name == "readers" else values[0]
    return fields


def test_two_people_saving_the_same_draft_the_second_is_told_and_sees_both(app, demo, make_document):
    import html as html_lib

    doc_id = make_document("draft")
    first, second = _client(app, "chuyenvien"), _client(app, "chuyenvien")  # two tabs, or two people
    form_one = _draft_form(first.get(f"/documents/{doc_id}/edit").get_data(as_text=True))
    form_two = _draft_form(second.get(f"/documents/{doc_id}/edit").get_data(as_text=True))
    assert form_one["base_version"] == form_two["base_version"] == "1"
    saved = _post(first, f"/documents/{doc_id}/edit", {**form_one, "summary": "Kế hoạch tổ chức Tháng Công nhân"},
                  content_type="multipart/form-data")
    assert saved.status_code == 302
    refused = _post(second, f"/documents/{doc_id}/edit", {**form_two, "summary": "Kế hoạch chăm lo Tết 2027"},
                    content_type="multipart/form-data")
    page = html_lib.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409 and 'id="draft-clash"' in page
    assert "đã lưu phiên bản 2 của dự thảo trong khi bạn đang sửa" in page
    clash = page[page.index('id="clash-table"'):page.index("</table>", page.index('id="clash-table"'))]
    assert "Kế hoạch tổ chức Tháng Công nhân" in clash and "Kế hoạch chăm lo Tết 2027" in clash  # both versions
    assert re.search(r"<textarea[^>]*name=\"summary\"[^>]*>\s*Kế hoạch chăm lo Tết 2027</textarea>", page), \
        page[page.find("id=\"summary\""):][:300]  # what they typed, kept in the form
    assert re.search(r'name="base_version"[^>]*value="2"|value="2"[^>]*name="base_version"', page)
    with app.app_context():
        doc = get_doc(doc_id)
        assert len(doc.versions) == 2 and doc.summary == "Kế hoạch tổ chức Tháng Công nhân"
    # saving again from the refused page is deliberate: it becomes version 3
    again = _post(second, f"/documents/{doc_id}/edit", {**_draft_form(page), "summary": "Kế hoạch chăm lo Tết 2027"},
                  content_type="multipart/form-data")
    assert again.status_code == 302
    with app.app_context():
        assert len(get_doc(doc_id).versions) == 3 and get_doc(doc_id).summary == "Kế hoạch chăm lo Tết 2027"
