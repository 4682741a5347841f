"""Access as a matrix of roles × statuses × actions, through the pages and the JSON API alike.

People in the demo: chuyenvien (drafter, specialist), chutich (signer, leader), phochutich (another leader),
vanthu (clerk), daibieu (delegate, the recipient), thuky (a named reviewer, also a specialist), quantri (admin).
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.core.errors import ValidationFailed
from edoc.documents import actions, drafting, issuing, recall, review
from edoc.documents.models import OutgoingDocument
from edoc.organisations.models import Unit
from tests.documents.conftest import api_token, get_doc, signed_on_paper, simple_pdf
from tests.support.web import csrf_token, login

PEOPLE = ["chuyenvien", "chutich", "phochutich", "vanthu", "daibieu", "thuky", "quantri"]
AUTHORS = {"chuyenvien", "thuky"}
"""The drafter and the named reviewer see the document in every status."""
PUBLISHED = AUTHORS | {"chutich", "vanthu", "daibieu"}

# status → who may view (page 200 / API 200); everyone else gets 404 (unknown and forbidden look alike)
VIEW = {
    "draft": AUTHORS,
    "submitted": AUTHORS | {"chutich"},
    "returned": AUTHORS | {"chutich"},
    "approved": AUTHORS | {"chutich", "vanthu"},
    "issued": PUBLISHED,
    "recalled": PUBLISHED,
    "replaced": PUBLISHED,
}
# action → (status it is tried on, who may do it)
ACTIONS = {
    "submit": ("draft", {"chuyenvien"}),
    "resubmit": ("returned", {"chuyenvien"}),
    "approve": ("submitted", {"chutich"}),
    "return": ("submitted", {"chutich"}),
    "comment": ("submitted", {"chuyenvien", "chutich", "thuky"}),
    "edit": ("draft", {"chuyenvien"}),
    "edit-returned": ("returned", {"chuyenvien"}),
    "edit-approved": ("approved", set()),
    "new-version-issued": ("issued", set()),
    "attach": ("draft", {"chuyenvien"}),
    "attach-issued": ("issued", set()),
    "issue": ("approved", {"vanthu"}),
    "recall": ("issued", {"vanthu", "chutich"}),
    "replace": ("issued", {"chuyenvien", "vanthu", "thuky"}),
    "replace-recalled": ("recalled", {"chuyenvien", "vanthu", "thuky"}),
    "copy": ("issued", {"vanthu"}),
}


def _recipients(demo) -> list[drafting.RecipientData]:
    return [drafting.RecipientData("user", "act", user_id=demo["daibieu"])]


def _make(app, demo, make_document, status: str, *, render: bool = False, **overrides) -> int:
    """``render``: with its PDF, for a document the test issues through the pages or the API (an approved
    document without one is refused at issue)."""
    overrides = {"recipients": _recipients(demo), "reader_ids": [demo["thuky"]], **overrides}
    if status not in {"issued", "recalled", "replaced"}:
        return make_document(status, render=render, **overrides)
    doc_id = make_document("approved", render=render, **overrides)
    with app.app_context():
        clerk = db.session.get(User, demo["vanthu"])
        if render:  # with its issued file (a copy holds the whole of it)
            actions.issue_document(clerk, get_doc(doc_id))
        else:
            issuing.issue(clerk, get_doc(doc_id))
            db.session.commit()
        if status == "recalled":
            recall.recall(clerk, get_doc(doc_id), "Sai thể thức")
        if status == "replaced":
            new = recall.start_replacement(clerk, get_doc(doc_id))
            db.session.commit()
            for who, step in (("vanthu", review.submit), ("chutich", review.approve)):
                new = get_doc(new.id)
                if who == "vanthu":  # the clerk drafted the replacement
                    step(clerk, new)
                else:
                    step(db.session.get(User, demo[who]), new)
            signed_on_paper(get_doc(new.id))
            issuing.issue(clerk, get_doc(new.id))
        db.session.commit()
        assert get_doc(doc_id).status == status
    return doc_id



def _headers(app, demo, person: str) -> dict[str, str]:
    return api_token(app, demo[person])


@pytest.mark.parametrize("status", list(VIEW))
def test_view_matrix_pages_and_api(app, demo, make_document, status):
    doc_id = _make(app, demo, make_document, status)
    for person in PEOPLE:
        expected = 200 if person in VIEW[status] else 404
        page = app.test_client()
        login(page, person)
        assert page.get(f"/documents/{doc_id}").status_code == expected, (person, status, "page")
        api = app.test_client().get(f"/api/v1/documents/{doc_id}", headers=_headers(app, demo, person))
        assert api.status_code == expected, (person, status, "api")


def test_the_replacement_is_linked_only_for_those_who_may_open_it(app, demo, make_document):
    """A replaced document's page names what replaced it to all who see it, and links it only for those who may
    open the replacement (the view decides, not the template): here the replacement went to someone else."""
    import re

    old = _make(app, demo, make_document, "issued")  # delivered to daibieu
    with app.app_context():
        clerk, chair = db.session.get(User, demo["vanthu"]), db.session.get(User, demo["chutich"])
        new = recall.start_replacement(clerk, get_doc(old))
        data = drafting.draft_data_of(new)
        data.recipients = [drafting.RecipientData("user", "act", user_id=demo["phochutich"])]
        drafting.update_draft(clerk, new, data)
        db.session.commit()
        new_id = new.id
        review.submit(clerk, get_doc(new_id))
        review.approve(chair, get_doc(new_id))
        signed_on_paper(get_doc(new_id))
        issuing.issue(clerk, get_doc(new_id))
        db.session.commit()
        reference = get_doc(new_id).reference
    for person, linked in (("daibieu", False), ("vanthu", True)):
        client = app.test_client()
        login(client, person)
        page = client.get(f"/documents/{old}").get_data(as_text=True)
        [notice] = re.findall(r'<div class="flash warning" id="replaced-by">(.*?)</div>', page)
        assert reference in notice, person
        assert (f'href="/documents/{new_id}"' in notice) == linked, person
        assert client.get(f"/documents/{new_id}").status_code == (200 if linked else 404), person


def _form(app, demo) -> dict[str, object]:
    with app.app_context():
        tg = db.session.execute(select(Unit.id).where(Unit.abbreviation == "TG")).scalar_one()
    return {"type_code": "KH", "summary": "Sửa lại", "body": "Nội dung.", "drafting_unit_id": str(tg),
            "signer_id": str(demo["chutich"]), "recipients_act": [f"user:{demo['daibieu']}"], "copies": "1"}


def _try(app, demo, channel: str, person: str, action: str, doc_id: int) -> int:
    """Do ``action`` as ``person``; the HTTP status."""
    name = action.split("-")[0]
    name = "submit" if name == "resubmit" else name
    pdf = simple_pdf(["Phụ lục"])
    if channel == "page":
        client = app.test_client()
        login(client, person)
        token = csrf_token(client, "/")
        if name in {"edit", "new"}:
            return client.post(f"/documents/{doc_id}/edit", data={**_form(app, demo), "csrf_token": token}).status_code
        if name == "attach":
            return client.post(f"/documents/{doc_id}/attachments", content_type="multipart/form-data", data={
                "csrf_token": token, "file": (io.BytesIO(pdf), "phu-luc.pdf")}).status_code
        fields = {"reason": "Sai thể thức", "text": "Góp ý", "form": "SY"}
        return client.post(f"/documents/{doc_id}/{name}", data={**fields, "csrf_token": token}).status_code
    client, headers = app.test_client(), _headers(app, demo, person)
    if name in {"edit", "new"}:
        body = {"type": "KH", "summary": "Sửa lại", "signer_id": demo["chutich"]}
        return client.post(f"/api/v1/documents/{doc_id}/versions", json=body, headers=headers).status_code
    if name == "attach":
        return client.post(f"/api/v1/documents/{doc_id}/attachments", headers=headers,
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO(pdf), "phu-luc.pdf")}).status_code
    path = {"comment": "comments", "replace": "replacement", "copy": "copies"}.get(name, name)
    return client.post(f"/api/v1/documents/{doc_id}/{path}", json={"reason": "Sai thể thức", "text": "Góp ý"},
                       headers=headers).status_code


def _state(app, doc_id: int) -> tuple:
    with app.app_context():
        doc = get_doc(doc_id)
        return doc.status, len(doc.versions), len(doc.attachments), doc.number


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("channel", ["page", "api"])
def test_action_matrix(app, demo, make_document, action, channel):
    status, allowed = ACTIONS[action]
    render = action in {"issue", "copy"}
    doc_id = _make(app, demo, make_document, status, render=render)
    before = _state(app, doc_id)
    for person in PEOPLE:
        if person in allowed:
            continue
        code = _try(app, demo, channel, person, action, doc_id)
        expected = {404} if person not in VIEW[status] else {403, 409}
        assert code in expected, (person, action, channel, code)
        assert _state(app, doc_id) == before, (person, action)  # a refusal changes nothing
    for person in sorted(allowed):
        doc_id = _make(app, demo, make_document, status, render=render)
        code = _try(app, demo, channel, person, action, doc_id)
        assert code in ({302} if channel == "page" else {200, 201}), (person, action, channel, code)


def test_secret_document_only_for_named_readers_pages_and_api(app, demo, make_document):
    doc_id = make_document("approved", render=False, secrecy="Mật", reader_ids=[demo["vanthu"]],
                           recipients=_recipients(demo))
    expected = {"vanthu": 200, "chuyenvien": 200, "chutich": 200, "phochutich": 404, "quantri": 404,
                "daibieu": 404, "thuky": 404}
    for person, code in expected.items():
        client = app.test_client()
        login(client, person)
        assert client.get(f"/documents/{doc_id}").status_code == code, person
        assert app.test_client().get(f"/api/v1/documents/{doc_id}",
                                     headers=_headers(app, demo, person)).status_code == code, person
    with app.app_context():
        issuing.issue(db.session.get(User, demo["vanthu"]), get_doc(doc_id))
        db.session.commit()
    # the delegate was a recipient but is not a named reader: a secret document does not reach them
    for channel in ("page", "api"):
        if channel == "page":
            client = app.test_client()
            login(client, "daibieu")
            assert client.get(f"/documents/{doc_id}").status_code == 404
        else:
            inbox = app.test_client().get("/api/v1/documents?box=inbox", headers=_headers(app, demo, "daibieu"))
            assert inbox.get_json()["documents"] == []
    listing = app.test_client().get("/api/v1/documents?box=issued", headers=_headers(app, demo, "phochutich"))
    assert listing.get_json()["documents"] == []


def test_a_secret_document_needs_a_clerk_among_its_readers(app, demo, make_document):
    """Only its named readers see a secret document, the clerk included: with no clerk among them nobody could
    issue it once approved. Refused when drafted (service, page and API alike) with what to do, nothing stored;
    and at submit if the clerk named while drafting has left since."""
    from tests.documents.conftest import stored

    before = stored(app)
    with pytest.raises(ValidationFailed, match="thêm một văn thư"):
        make_document("draft", secrecy="Mật", reader_ids=[demo["thuky"]])
    client = app.test_client()
    login(client, "chuyenvien")
    page = client.post("/documents/new", data={**_form(app, demo), "secrecy": "Mật", "readers": [str(demo["thuky"])],
                                               "csrf_token": csrf_token(client, "/documents/new")})
    assert page.status_code == 400 and "thêm một văn thư đang làm việc" in page.get_data(as_text=True)
    api = app.test_client().post("/api/v1/documents", headers=_headers(app, demo, "chuyenvien"), json={
        "type": "KH", "summary": "Phương án bảo vệ bí mật", "signer_id": demo["chutich"], "secrecy": "Mật"})
    assert api.status_code == 400 and "thêm một văn thư" in api.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.execute(select(OutgoingDocument)).first() is None
    assert stored(app) == before
    # named while drafting, gone (deactivated) by the time it is submitted
    doc_id = make_document("draft", render=False, secrecy="Mật", reader_ids=[demo["vanthu"]])
    with app.app_context():
        db.session.get(User, demo["vanthu"]).active = False
        db.session.commit()
    refused = client.post(f"/documents/{doc_id}/submit", data={"csrf_token": csrf_token(client, "/")})
    assert refused.status_code == 400 and "thêm một văn thư" in refused.get_data(as_text=True)
    with app.app_context():
        assert get_doc(doc_id).status == "draft"


@pytest.mark.parametrize("channel", ["page", "api"])
def test_register_access(app, demo, make_document, channel):
    """Clerks keep the registers and read every row. Leaders and admins may open them too, but read in full only
    the rows of documents they may open; any other row keeps its number, date, type, signer and copies (the
    numbers run on without a gap) with the trích yếu, recipients, receipts and note masked, and the search does
    not see the hidden text (docs/decisions.md, "Outgoing documents, second pass"). The secret register is the
    clerks' alone; drafters and delegates have no register."""
    from datetime import UTC, datetime

    from edoc.registers.models import Register

    doc_id = make_document("approved", render=False, summary="Kiểm tra nội bộ quý II", recipients=_recipients(demo))
    with app.app_context():
        issuing.issue(db.session.get(User, demo["vanthu"]), get_doc(doc_id), at=datetime(2026, 4, 10, 2, tzinfo=UTC))
        db.session.commit()
        ids = {r.kind: r.id for r in db.session.execute(select(Register)).scalars()}
    matrix = {"outgoing": {"vanthu": 200, "chutich": 200, "phochutich": 200, "quantri": 200, "chuyenvien": 403,
                           "daibieu": 403},
              "secret": {"vanthu": 200, "chutich": 403, "quantri": 403, "chuyenvien": 403, "daibieu": 403}}
    in_full = {"vanthu", "chutich"}  # the clerk; the signer, who may open the document
    summary, recipient = "Kế hoạch: Kiểm tra nội bộ quý II", "Hoàng Văn Nam, Chủ tịch CĐCS Công ty Vận tải Gia Lâm"
    for kind, people in matrix.items():
        for person, expected in people.items():
            if channel == "page":
                client = app.test_client()
                login(client, person)
                answer = client.get(f"/registers/{ids[kind]}?year=2026")
                searched = client.get(f"/registers/{ids[kind]}?year=2026&q=kiem%20tra%20noi%20bo")
            else:
                headers = _headers(app, demo, person)
                answer = app.test_client().get(f"/api/v1/registers/{ids[kind]}/entries?year=2026", headers=headers)
                searched = app.test_client().get(f"/api/v1/registers/{ids[kind]}/entries?year=2026&q=kiem%20tra%20"
                                                 "noi%20bo", headers=headers)
            assert answer.status_code == expected, (kind, person, channel)
            if kind != "outgoing" or expected != 200:
                continue
            full = person in in_full
            if channel == "page":
                page, found = answer.get_data(as_text=True), searched.get_data(as_text=True)
                assert "01/KH-LĐLĐ" in page and "10/04/2026" in page and "Nguyễn Văn Hùng" in page, person
                assert (summary in page, recipient in page) == (full, full), person
                assert (f'href="/documents/{doc_id}"' in page) == full, person  # no link to a 404
                assert ("01/KH-LĐLĐ" in found) == full, person
            else:
                [entry] = answer.get_json()["entries"]
                assert (entry["reference"], entry["issued_on"], entry["signer"]) == (
                    "01/KH-LĐLĐ", "2026-04-10", "Nguyễn Văn Hùng"), person
                assert entry["masked"] is not full, person
                if full:
                    assert (entry["type_and_summary"], entry["recipients"]) == (summary, recipient), person
                else:
                    assert entry["type_and_summary"] == "Kế hoạch: (chỉ người được xem văn bản mới thấy trích yếu)"
                    assert (entry["recipients"], entry["receipt"], entry["note"]) == ("—", "", ""), person
                assert len(searched.get_json()["entries"]) == (1 if full else 0), person


def test_other_organisations_document_and_register_are_invisible(app, demo, make_document):
    from edoc.accounts.models import Role
    from edoc.registers.models import Register
    from tests.support.orgs import other_organisation

    doc_id = _make(app, demo, make_document, "issued")
    other_organisation(app, username="vanthukhac", role=Role.CLERK)
    client = app.test_client()
    login(client, "vanthukhac")
    assert client.get(f"/documents/{doc_id}").status_code == 404
    with app.app_context():
        register_id = db.session.execute(select(Register.id).where(Register.kind == "outgoing")).scalars().first()
        other = db.session.execute(select(User).where(User.username == "vanthukhac")).scalar_one().id
    headers = api_token(app, other)
    assert app.test_client().get(f"/api/v1/documents/{doc_id}", headers=headers).status_code == 404
    assert app.test_client().get(f"/api/v1/registers/{register_id}/entries?year=2026",
                                 headers=headers).status_code == 404


def test_unit_recipients_reach_every_member(app, demo, make_document):
    with app.app_context():
        vp = db.session.execute(select(Unit.id).where(Unit.abbreviation == "VP")).scalar_one()
    doc_id = make_document("approved", render=False, recipients=[drafting.RecipientData("unit", "act", unit_id=vp)])
    with app.app_context():
        issuing.issue(db.session.get(User, demo["vanthu"]), get_doc(doc_id))
        db.session.commit()
    for person in ("vanthu", "thuky", "quantri"):  # the members of Văn phòng
        client = app.test_client()
        login(client, person)
        assert client.get(f"/documents/{doc_id}").status_code == 200
