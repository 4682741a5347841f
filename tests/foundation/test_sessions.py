"""Sessions end on the server: logout ends that session (its cookie, its remember cookie and its open sockets), a
password change ends every session and revokes the user's API tokens."""

from __future__ import annotations

import json

from sqlalchemy import select

from edoc.accounts.models import ApiToken, User
from edoc.audit.models import AuditEntry
from edoc.core.db import db
from tests.foundation.test_api import _token
from tests.support.web import csrf_token, login, post_form


def _me(app, token: str) -> int:
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _change_own_password(client, extra: dict[str, str] | None = None, **kwargs: object):
    return client.post("/profile", data={"action": "password", "pw-current_password": "GiaLam@2023",
                                         "pw-new_password": "MatKhauMoi@2026",
                                         "pw-csrf_token": csrf_token(client, "/profile"), **(extra or {})},
                       **kwargs)


def test_a_password_change_revokes_the_users_api_tokens(app, demo):
    client = app.test_client()
    token = _token(client)
    assert _me(app, token) == 200
    page = _change_own_password(client, follow_redirects=True)
    assert "đã thu hồi 1 mã truy cập API" in page.get_data(as_text=True)
    assert _me(app, token) == 401
    with app.app_context():
        assert db.session.execute(select(ApiToken.revoked_at)).scalar_one() is not None
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "user.password")).scalar_one()
        assert json.loads(entry.changes)["api_tokens_revoked"] == 1


def test_the_user_may_keep_their_tokens_by_ticking_the_box(app, demo):
    client = app.test_client()
    token = _token(client)
    assert "Giữ các mã truy cập API" in client.get("/profile").get_data(as_text=True)
    assert _change_own_password(client, {"pw-keep_api_tokens": "y"}).status_code == 302
    assert _me(app, token) == 200


def test_an_admin_reset_always_revokes(app, demo):
    token = _token(app.test_client())
    admin = app.test_client()
    login(admin, "quantri")
    response = post_form(admin, f"/admin/users/{demo['chuyenvien']}", {
        "username": "chuyenvien", "full_name": "Phạm Quốc Bảo", "title": "Chuyên viên", "unit_id": "",
        "roles": ["specialist"], "active": "y", "password": "MatKhauMoi@2026"})
    assert response.status_code == 302
    assert _me(app, token) == 401
    with app.app_context():
        assert db.session.get(User, demo["chuyenvien"]) is not None
