"""The home page's "Việc cần làm": per role, how many documents wait, counted as the pages list them."""

from __future__ import annotations

import re

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.documents import boxes, drafting, issuing
from tests.documents.conftest import get_doc
from tests.support.web import login


def _counts(app, username: str, password: str = "GiaLam@2023") -> dict[str, int]:
    """What the home page shows ``username``: key → count, read from the page itself."""
    client = app.test_client()
    login(client, username, password)
    page = client.get("/").get_data(as_text=True)
    fragment = client.get("/to-do")
    assert fragment.status_code == 200
    items = dict(re.findall(r'data-key="(\w+)".*?<span class="count">(\d+)</span>', page, re.S))
    # the fragment the page re-fetches on a notification says the same
    assert dict(re.findall(r'data-key="(\w+)".*?<span class="count">(\d+)</span>', fragment.get_data(as_text=True),
                           re.S)) == items
    return {key: int(count) for key, count in items.items()}


def test_each_role_sees_what_waits_for_it(app, demo, make_document):
    assert _counts(app, "chuyenvien") == {"mine": 0, "inbox": 0}
    assert _counts(app, "chutich") == {"to_sign": 0, "sign": 0, "inbox": 0}
    assert _counts(app, "vanthu") == {"to_issue": 0, "inbox": 0}
    assert _counts(app, "daibieu") == {"inbox": 0}

    make_document("submitted")
    make_document("returned")
    approved = make_document("approved")  # signed on paper, its scan uploaded: the clerk's to issue
    make_document("approved", paper=False)  # not signed yet: the signer's to sign, not yet the clerk's to issue
    assert _counts(app, "chuyenvien") == {"mine": 1, "inbox": 0}  # the returned one only
    assert _counts(app, "chutich") == {"to_sign": 1, "sign": 1, "inbox": 0}
    assert _counts(app, "phochutich") == {"to_sign": 0, "sign": 0, "inbox": 0}  # not their documents
    assert _counts(app, "vanthu") == {"to_issue": 1, "inbox": 0}

    with app.app_context():
        issuing.issue(db.session.get(User, demo["vanthu"]), get_doc(approved))
        db.session.commit()
        unit_members = [u.username for u in db.session.execute(select(User)).scalars()
                        if u.unit is not None and u.unit.abbreviation == "TG" and u.active]
    assert _counts(app, "vanthu")["to_issue"] == 0
    assert _counts(app, "chutich")["sign"] == 1  # the one signed on paper never was; the other still waits
    assert unit_members, "the demo's Ban Tuyên giáo has members, who received the document"
    member = unit_members[0]
    assert _counts(app, member)["inbox"] == 1
    reader = app.test_client()
    login(reader, member)
    assert reader.get(f"/documents/{approved}").status_code == 200  # opening it is reading it
    assert _counts(app, member)["inbox"] == 0


def test_a_secret_document_counts_only_for_who_may_see_it(app, demo, make_document):
    """Two clerks; a secret document names one of them: only that one is told it waits to be issued."""
    from edoc.accounts.models import Role
    from edoc.accounts.service import UserData, create_user

    with app.app_context():
        admin = db.session.get(User, demo["quantri"])
        create_user(admin, admin.organisation, UserData(username="vanthu2", full_name="Lý Thị Hoa", title="Văn thư",
                                                        roles=frozenset({Role.CLERK})), "GiaLam@2023-vt2")
    make_document("approved", secrecy="Mật", reader_ids=[demo["vanthu"]])
    assert _counts(app, "vanthu")["to_issue"] == 1
    assert _counts(app, "vanthu2", "GiaLam@2023-vt2")["to_issue"] == 0
    make_document("approved")
    assert _counts(app, "vanthu")["to_issue"] == 2
    assert _counts(app, "vanthu2", "GiaLam@2023-vt2")["to_issue"] == 1


def test_the_to_do_list_needs_a_sign_in(client):
    response = client.get("/to-do")
    assert response.status_code in {302, 401} and "/login" in response.headers.get("Location", "/login")


def _to_do(app, demo, username: str) -> dict[str, int]:
    with app.app_context():
        return {t.key: t.count for t in boxes.to_do(db.session.get(User, demo[username]))}


def test_counts_are_not_cut_at_the_lists_limit(app, demo):
    """The lists show the 300 latest; the count says how many there are."""
    from edoc.documents.models import OutgoingDocument, Status

    with app.app_context():
        drafter = db.session.get(User, demo["chuyenvien"])
        db.session.add_all(OutgoingDocument(organisation_id=drafter.organisation_id, drafter_id=drafter.id,
                                            status=Status.RETURNED.value, type_code="KH", summary=f"Dự thảo {i}")
                           for i in range(301))
        db.session.commit()
        assert len(boxes.list_documents(drafter, "mine")) == 300
    assert _to_do(app, demo, "chuyenvien")["mine"] == 301


def test_a_secret_document_is_counted_unread_only_where_it_was_delivered(app, demo, make_document):
    """Named readers receive a secret document; a recipient not named on it receives nothing and is told nothing."""
    secret = make_document("approved", render=False, secrecy="Mật", reader_ids=[demo["vanthu"], demo["thuky"]],
                           recipients=[drafting.RecipientData("user", "act", user_id=demo["thuky"]),
                                       drafting.RecipientData("user", "act", user_id=demo["daibieu"])])
    with app.app_context():
        issuing.issue(db.session.get(User, demo["vanthu"]), get_doc(secret))
        db.session.commit()
    assert _to_do(app, demo, "thuky")["inbox"] == 1
    assert _to_do(app, demo, "daibieu")["inbox"] == 0


def test_the_counts_ask_the_same_queries_however_many_documents_wait(app, demo, make_document):
    """No query per document: the home page asks on every load and every notification."""
    from tests.documents.conftest import statements

    people = ("chuyenvien", "chutich", "vanthu", "daibieu")

    def one_of_each() -> None:
        make_document("returned", render=False)
        make_document("submitted", render=False)
        make_document("approved", render=False, secrecy="Mật", reader_ids=[demo["vanthu"]])
        make_document("approved", render=False, paper=False)
        issued = make_document("approved", render=False,
                               recipients=[drafting.RecipientData("user", "act", user_id=demo["daibieu"])])
        with app.app_context():
            issuing.issue(db.session.get(User, demo["vanthu"]), get_doc(issued))
            db.session.commit()

    def asked() -> dict[str, int]:
        counts = {}
        for person in people:
            with app.app_context():
                user = db.session.get(User, demo[person])
                with statements(app) as sent:
                    boxes.to_do(user)
                counts[person] = len(sent)
        return counts

    one_of_each()
    first = asked()
    one_of_each()
    one_of_each()
    assert asked() == first
    assert _to_do(app, demo, "vanthu") == {"to_issue": 3, "inbox": 0}  # signed (on paper): the secret ones
    assert _to_do(app, demo, "daibieu") == {"inbox": 3}
    assert _to_do(app, demo, "chutich") == {"to_sign": 3, "sign": 3, "inbox": 0}  # not signed in any way
    assert _to_do(app, demo, "chuyenvien") == {"mine": 3, "inbox": 0}
