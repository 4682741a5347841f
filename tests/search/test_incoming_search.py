"""Incoming documents in the one search (issue 11, item 1): found by their fields as typed, a secret one only by
those named on it, the keys agreeing with incoming's can_view."""

from __future__ import annotations

from sqlalchemy import select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.incoming import policy
from edoc.incoming.models import IncomingDocument
from edoc.search.service import Filters, search, user_keys


def _found(app, demo, who, q, **filters):
    with app.app_context():
        return [(h.kind, h.object_id) for h in search(db.session.get(User, demo[who]), q, Filters(**filters)).hits]


def test_incoming_documents_are_found_as_typed_and_only_by_their_readers(app, demo, register_doc):
    plain = register_doc(summary="Hướng dẫn tổ chức Đại hội Công đoàn cơ sở Đồngthuận",
                         original_reference="89/HD-LĐLĐ", signer_name="Lê Văn Khải")
    secret = register_doc(summary="Danh sách nhân sự dự kiến Đồngthuận", secrecy="Mật",
                          reader_ids=[demo["chutich"]])
    assert _found(app, demo, "vanthu", "dongthuan dai hoi") == [("incoming", plain)]
    assert _found(app, demo, "vanthu", "89/HD") == [("incoming", plain)]
    assert _found(app, demo, "vanthu", "le van khai", kind="incoming") == [("incoming", plain)]
    # the secret one: its registering clerk and its named reader, nobody by role alone
    assert sorted(_found(app, demo, "chutich", "dongthuan")) == [("incoming", secret)]
    assert _found(app, demo, "phochutich", "dongthuan") == []
    assert _found(app, demo, "chuyenvien", "dongthuan") == []
    with app.app_context():
        users = db.session.execute(select(User)).scalars().all()
        for doc in db.session.execute(select(IncomingDocument)).scalars():
            keys = policy.reader_keys(doc)
            for user in users:
                assert policy.can_view(user, doc) == bool(keys & set(user_keys(user))), (doc.id, user.username)
