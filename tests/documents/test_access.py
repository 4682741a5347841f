"""Access as a matrix of roles × actions, through the pages and the JSON API alike.

Roles in the demo: chuyenvien (drafter, specialist), chutich (signer, leader), phochutich (another leader),
vanthu (clerk), daibieu (delegate, recipient), quantri (admin).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from edoc.accounts.models import User
from edoc.accounts.service import create_api_token
from edoc.core.db import db
from edoc.documents import service
from edoc.organisations.models import Unit
from tests.documents.conftest import get_doc
from tests.support.web import csrf_token, login

PEOPLE = ["chuyenvien", "chutich", "phochutich", "vanthu", "daibieu", "quantri"]

# status → who may view (page 200 / API 200); everyone else gets 404 (unknown and forbidden look alike)
VIEW = {
    "draft": {"chuyenvien"},
    "submitted": {"chuyenvien", "chutich"},
    "approved": {"chuyenvien", "chutich", "vanthu"},
    "issued": {"chuyenvien", "chutich", "vanthu", "daibieu"},
}
# action → status it applies to → who may do it
ACTIONS = {
    "submit": ("draft", {"chuyenvien"}),
    "approve": ("submitted", {"chutich"}),
    "issue": ("approved", {"vanthu"}),
    "recall": ("issued", {"vanthu", "chutich"}),
}


def _to_delegate(app, demo):
    with app.app_context():
        return [service.RecipientData("user", "act", user_id=demo["daibieu"])]


def _make(app, demo, make_document, status: str) -> int:
    recipients = _to_delegate(app, demo)
    if status == "issued":
        doc_id = make_document("approved", recipients=recipients)
        with app.app_context():
            service.issue(db.session.get(User, demo["vanthu"]), get_doc(doc_id))
            db.session.commit()
        return doc_id
    return make_document(status, recipients=recipients)


def _token(app, demo, username: str) -> str:
    with app.app_context():
        return create_api_token(db.session.get(User, demo[username]), "matrix")[1]


@pytest.mark.parametrize("status", list(VIEW))
def test_view_matrix_pages_and_api(app, demo, make_document, status):
    doc_id = _make(app, demo, make_document, status)
    for person in PEOPLE:
        page = app.test_client()
        login(page, person)
        expected = 200 if person in VIEW[status] else 404
        assert page.get(f"/documents/{doc_id}").status_code == expected, (person, status, "page")
        api = app.test_client().get(f"/api/v1/documents/{doc_id}",
                                    headers={"Authorization": f"Bearer {_token(app, demo, person)}"})
        assert api.status_code == expected, (person, status, "api")


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("channel", ["page", "api"])
def test_action_matrix(app, demo, make_document, action, channel):
    status, allowed = ACTIONS[action]
    for person in PEOPLE:
        doc_id = _make(app, demo, make_document, status)
        body = {"reason": "Sai thể thức"} if action == "recall" else {}
        if channel == "page":
            client = app.test_client()
            login(client, person)
            response = client.post(f"/documents/{doc_id}/{action}",
                                   data={**body, "csrf_token": csrf_token(client, "/")})
            ok = response.status_code == 302
        else:
            response = app.test_client().post(f"/api/v1/documents/{doc_id}/{action}", json=body,
                                              headers={"Authorization": f"Bearer {_token(app, demo, person)}"})
            ok = response.status_code == 200
        assert ok == (person in allowed), (person, action, channel, response.status_code)
        if not ok:
            assert response.status_code in {403, 404}, (person, action, response.status_code)
        with app.app_context():
            assert (get_doc(doc_id).status != status) == ok  # a refusal changes nothing


def test_secret_document_only_for_named_readers(app, demo, make_document):
    doc_id = make_document("approved", secrecy="Mật", reader_ids=[demo["vanthu"]],
                           recipients=_to_delegate(app, demo))
    for person, expected in {"vanthu": 200, "chuyenvien": 200, "chutich": 200, "phochutich": 404,
                             "quantri": 404, "daibieu": 404}.items():
        client = app.test_client()
        login(client, person)
        assert client.get(f"/documents/{doc_id}").status_code == expected, person
    with app.app_context():
        service.issue(db.session.get(User, demo["vanthu"]), get_doc(doc_id))
        db.session.commit()
    # the delegate was a recipient but is not a named reader: a secret document does not reach them
    client = app.test_client()
    login(client, "daibieu")
    assert client.get(f"/documents/{doc_id}").status_code == 404
    admin = app.test_client()
    login(admin, "quantri")
    with app.app_context():
        file_id = get_doc(doc_id).current_version.pdf_file_id
    assert admin.get(f"/files/{file_id}").status_code == 404  # the admin role opens no secret file


def test_register_access(app, demo):
    with app.app_context():
        from edoc.registers.models import Register

        ids = {r.kind: r.id for r in db.session.execute(select(Register)).scalars()}
    for person, expected in {"vanthu": 200, "chutich": 200, "chuyenvien": 403, "daibieu": 403}.items():
        client = app.test_client()
        login(client, person)
        assert client.get(f"/registers/{ids['outgoing']}").status_code == expected, person
    leader = app.test_client()
    login(leader, "chutich")
    assert leader.get(f"/registers/{ids['secret']}").status_code == 403


def test_other_organisations_document_is_invisible(app, demo, make_document):
    from edoc.accounts.models import Role
    from tests.support.orgs import other_organisation

    doc_id = _make(app, demo, make_document, "issued")
    other_organisation(app, username="vanthukhac", role=Role.CLERK)
    client = app.test_client()
    login(client, "vanthukhac")
    assert client.get(f"/documents/{doc_id}").status_code == 404


def test_unit_recipients_reach_every_member(app, demo, make_document):
    with app.app_context():
        vp = db.session.execute(select(Unit.id).where(Unit.abbreviation == "VP")).scalar_one()
    doc_id = make_document("approved", recipients=[service.RecipientData("unit", "act", unit_id=vp)])
    with app.app_context():
        service.issue(db.session.get(User, demo["vanthu"]), get_doc(doc_id))
        db.session.commit()
    for person in ("vanthu", "thuky", "quantri"):  # the members of Văn phòng
        client = app.test_client()
        login(client, person)
        assert client.get(f"/documents/{doc_id}").status_code == 200
