"""Access as a matrix of roles × actions through the pages and the JSON API (issue 10, item 7); and the same
installation's delivery (item 1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from edoc.accounts.models import Role, User
from edoc.accounts.passwords import hash_password
from edoc.core.clock import vietnam_today
from edoc.core.db import db
from edoc.incoming import policy, service
from edoc.incoming.models import IncomingDocument
from edoc.notifications.models import Notification
from edoc.organisations.models import Unit
from edoc.tasks import service as tasks
from edoc.tasks.models import Task
from tests.documents.conftest import api_token
from tests.support.orgs import other_organisation
from tests.support.web import login, post_form

PEOPLE = ("vanthu", "vanthu2", "chutich", "phochutich", "chuyenvien", "daibieu", "quantri", "ngoai")


@pytest.fixture
def people(app, demo) -> dict[str, int]:
    """The demo's people, a second clerk, and a clerk of another organisation."""
    other_organisation(app, username="ngoai", role=Role.CLERK)
    with app.app_context():
        org_id = db.session.get(User, demo["vanthu"]).organisation_id
        second = User(organisation_id=org_id, username="vanthu2", full_name="Văn thư hai",
                      password_hash=hash_password("GiaLam@2023"))
        second.roles = {Role.CLERK}
        db.session.add(second)
        db.session.commit()
        return {u.username: u.id for u in db.session.execute(select(User)).scalars()}


def _directed(app, people, register_doc, **overrides) -> tuple[int, int]:
    """A document registered by vanthu, presented to chutich, Ban Tuyên giáo (chuyenvien) leading it."""
    doc_id = register_doc(**overrides)
    with app.app_context():
        doc = db.session.get(IncomingDocument, doc_id)
        chair = db.session.get(User, people["chutich"])
        service.present(db.session.get(User, people["vanthu"]), doc, chair.id)
        unit = db.session.execute(select(Unit).where(Unit.abbreviation == "TG")).scalars().first()
        [task] = service.direct(chair, doc, "Giao TG", [tasks.Assignee("lead", unit_id=unit.id)],
                                deadline=vietnam_today() + timedelta(days=5))
        db.session.commit()
        return doc_id, task.id


VIEW = {"vanthu": 200, "vanthu2": 200, "chutich": 200, "phochutich": 404, "chuyenvien": 200, "daibieu": 404,
        "quantri": 404, "ngoai": 404}
SECRET_VIEW = {**VIEW, "vanthu2": 404}  # a secret document: its clerk, not every clerk
REGISTERS = {"vanthu": 200, "vanthu2": 200, "chutich": 200, "phochutich": 200, "chuyenvien": 403, "daibieu": 403,
             "quantri": 403, "ngoai": 200}  # another organisation's clerk reads their own (empty) register


@pytest.mark.parametrize("secret", [False, True], ids=["ordinary", "secret"])
def test_view_matrix_pages_and_api(app, people, register_doc, secret):
    doc_id, _task = _directed(app, people, register_doc, **({"secrecy": "Mật"} if secret else {}))
    expected = SECRET_VIEW if secret else VIEW
    with app.app_context():  # search's keys say what the policy says
        from edoc.search.service import user_keys

        doc = db.session.get(IncomingDocument, doc_id)
        keys = policy.reader_keys(doc)
        for person in PEOPLE:
            user = db.session.get(User, people[person])
            same_org = user.organisation_id == doc.organisation_id
            assert (same_org and bool(keys & set(user_keys(user)))) == policy.can_view(user, doc), person
    for person in PEOPLE:
        client = app.test_client()
        login(client, person)
        token = api_token(app, people[person])
        page, api = client.get(f"/incoming/{doc_id}"), client.get(f"/api/v1/incoming/{doc_id}", headers=token)
        assert (person, page.status_code, api.status_code) == (person, expected[person], expected[person])
        listed = {d["id"] for d in client.get("/api/v1/incoming?box=all", headers=token).json["documents"]}
        assert (doc_id in listed) == (expected[person] == 200), person
        year = vietnam_today().year
        assert client.get(f"/incoming/registers?year={year}").status_code == REGISTERS[person], person
        rows = client.get(f"/api/v1/incoming/registers/register?year={year}", headers=token)
        assert rows.status_code == REGISTERS[person], person
        if rows.status_code == 200 and person != "ngoai":
            [row] = rows.json["rows"]
            assert row["masked"] == (expected[person] != 200), person


ACTIONS = {
    # action: (page path, API path, form/body, who may)
    "present": ("/incoming/{id}/present", "/api/v1/incoming/{id}/present", lambda p, t: {"leader_id": p["chutich"]},
                {"vanthu", "vanthu2"}),
    "direct": ("/incoming/{id}/direct", "/api/v1/incoming/{id}/direct", None, {"chutich"}),
    "report": ("/incoming/{id}/tasks/{task}/report", "/api/v1/incoming/{id}/tasks/{task}/report",
               lambda p, t: {"progress": 30, "note": "Đang làm"}, {"chuyenvien"}),
    "finish": ("/incoming/{id}/finish", "/api/v1/incoming/{id}/finish", lambda p, t: {"result": "Xong"},
               {"chutich", "chuyenvien"}),
    "return": ("/incoming/{id}/return", "/api/v1/incoming/{id}/return", lambda p, t: {"reason": "Sai nơi nhận"},
               {"vanthu", "vanthu2"}),
}


def _direct_body(people, api: bool) -> dict[str, object]:
    if api:
        return {"direction": "Giao thêm", "assignees": [{"role": "inform", "user_id": people["thuky"]}]}
    return {"direction": "Giao thêm", "inform": f"user:{people['thuky']}"}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("channel", ["page", "api"])
def test_action_matrix(app, people, register_doc, action, channel):
    """Everyone who may not is refused (403, or 404 when they may not even see it) and nothing changes; then one
    who may does it."""
    page_path, api_path, body, allowed = ACTIONS[action]
    doc_id, task_id = _directed(app, people, register_doc)
    if action in {"present", "return"}:
        with app.app_context():  # before direction: registered, so it can still be presented or returned
            doc_id = register_doc(original_reference="77/CV-SNV")
    path = (page_path if channel == "page" else api_path).format(id=doc_id, task=task_id)

    def attempt(person: str) -> int:
        data = _direct_body(people, channel == "api") if body is None else body(people, task_id)
        client = app.test_client()
        if channel == "api":
            return client.post(path, json=data, headers=api_token(app, people[person])).status_code
        login(client, person)
        return post_form(client, path, data, page="/incoming/").status_code

    def state() -> tuple:
        with app.app_context():
            doc = db.session.get(IncomingDocument, doc_id)
            return doc.status, doc.presented_to_id, doc.direction, doc.result, [
                (t.status, t.progress) for t in db.session.execute(select(Task).order_by(Task.id)).scalars()]

    before = state()
    for person in PEOPLE:
        if person in allowed:
            continue
        status = attempt(person)
        assert status in {403, 404}, (person, status)
        assert state() == before, person
    status = attempt(sorted(allowed)[-1])
    assert status in {200, 302}, status
    assert state() != before


def test_only_clerks_register_pages_and_api(app, people, client):
    for person, code in {"vanthu": 200, "chutich": 403, "chuyenvien": 403, "quantri": 403}.items():
        other = app.test_client()
        login(other, person)
        assert other.get("/incoming/new").status_code == code, person
        response = other.post("/api/v1/incoming", json={"summary": "x", "sender_name": "y", "file_ids": []},
                              headers=api_token(app, people[person]))
        assert response.status_code == (400 if code == 200 else 403), (person, response.json)


def test_same_installation_delivery_reaches_the_parent_at_issue(app, demo, make_document):
    """The plan issued to LĐLĐ thành phố Hà Nội, which uses this installation, is in its incoming queue when the
    issue commits, fields filled; its clerk registers it with nothing to type and the sender's clerk is told."""
    from edoc.contacts.service import contacts_of
    from edoc.demo import load_demo_parent
    from edoc.documents.actions import issue_document
    from edoc.documents.drafting import RecipientData
    from edoc.documents.signing import sign_one
    from edoc.signatures.devca import DEMO_PIN
    from tests.documents.conftest import get_doc

    with app.app_context():
        parent = load_demo_parent()
        parent_id = parent.organisation.id
        gialam_id = db.session.get(User, demo["vanthu"]).organisation_id
        hanoi = next(c.id for c in contacts_of(gialam_id) if c.short_name == "LĐLĐ thành phố Hà Nội")
    doc_id = make_document(paper=False, recipients=[RecipientData("external", "act", contact_id=hanoi)])
    with app.app_context():
        sign_one(db.session.get(User, demo["chutich"]), get_doc(doc_id), DEMO_PIN)
        db.session.commit()
        issue_document(db.session.get(User, demo["vanthu"]), get_doc(doc_id))
        reference = get_doc(doc_id).reference
        [arrived] = db.session.execute(select(IncomingDocument)).scalars()
        assert (arrived.organisation_id, arrived.status, arrived.channel) == (parent_id, "received", "internal")
        assert (arrived.original_reference, arrived.type_code, arrived.signer_name) == (
            reference, "KH", "Nguyễn Văn Hùng")
        assert arrived.file.organisation_id == parent_id and arrived.signature_verdict == "valid"
        assert "Chỉ thị 15" in arrived.summary and arrived.text_source == "pdf"
        [recipient] = get_doc(doc_id).recipients
        assert recipient.dispatch_status == "delivered"
        arrived_id = arrived.id
    hanoi_clerk = app.test_client()
    login(hanoi_clerk, "vanthu.hn")
    assert f"/incoming/{arrived_id}" in hanoi_clerk.get("/incoming/?box=received").text
    gialam_clerk = app.test_client()
    login(gialam_clerk, "vanthu")
    assert gialam_clerk.get(f"/incoming/{arrived_id}").status_code == 404  # not the sender's to see
    page = hanoi_clerk.get(f"/incoming/{arrived_id}")
    assert page.status_code == 200 and 'id="register-received"' in page.text and 'id="signature-ok"' in page.text
    with app.app_context():
        arrived = db.session.get(IncomingDocument, arrived_id)
        fields = {"summary": arrived.summary, "sender_name": arrived.sender_name,
                  "original_reference": arrived.original_reference, "type_code": arrived.type_code,
                  "original_date": arrived.original_date.isoformat(), "signer_name": arrived.signer_name}
    response = post_form(hanoi_clerk, f"/incoming/{arrived_id}/register", fields, page=f"/incoming/{arrived_id}")
    assert response.status_code == 302
    with app.app_context():
        arrived = db.session.get(IncomingDocument, arrived_id)
        assert (arrived.number, arrived.status) == (1, "registered") and arrived.acknowledged_at is not None
        told = db.session.execute(select(Notification.text).where(Notification.user_id == demo["vanthu"])
                                  ).scalars().all()
        assert any(f"đã nhận văn bản {reference} (số đến 01" in t for t in told)
        assert "số đến 01" in get_doc(doc_id).recipients[0].dispatch_note
