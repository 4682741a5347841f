"""The home page's "Việc cần làm": per role, how many documents wait, counted as the pages list them."""

from __future__ import annotations

import re

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.documents import service
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
    approved = make_document("approved")
    assert _counts(app, "chuyenvien") == {"mine": 1, "inbox": 0}  # the returned one only
    assert _counts(app, "chutich") == {"to_sign": 1, "sign": 1, "inbox": 0}
    assert _counts(app, "phochutich") == {"to_sign": 0, "sign": 0, "inbox": 0}  # not their documents
    assert _counts(app, "vanthu") == {"to_issue": 1, "inbox": 0}

    with app.app_context():
        service.issue(db.session.get(User, demo["vanthu"]), get_doc(approved))
        db.session.commit()
        unit_members = [u.username for u in db.session.execute(select(User)).scalars()
                        if u.unit is not None and u.unit.abbreviation == "TG" and u.active]
    assert _counts(app, "vanthu")["to_issue"] == 0
    assert _counts(app, "chutich")["sign"] == 0  # issued: nothing left to sign
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
