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


def _cookies(client) -> dict[str, str]:
    return {c.key: c.value for c in client._cookies.values()}


def _with_cookies(app, cookies: dict[str, str]):
    copy = app.test_client()
    for name, value in cookies.items():
        copy.set_cookie(name, value)
    return copy


def _login_remembered(client) -> None:
    token = csrf_token(client)
    response = client.post("/login", data={"username": "chuyenvien", "password": "GiaLam@2023", "remember": "y",
                                           "csrf_token": token})
    assert response.status_code == 302


def test_logout_ends_that_session_on_the_server(app, demo):
    """A copy of the session cookie taken before logout, or of the remember cookie alone, opens nothing after
    it: not a page, not a file, not a socket. Another sign-in of the same user goes on."""
    browser, other = app.test_client(), app.test_client()
    _login_remembered(browser)
    login(other, "chuyenvien")
    taken = _cookies(browser)
    assert set(taken) >= {"edoc_session", "remember_token"}
    stolen_page = _with_cookies(app, taken)
    assert stolen_page.get("/documents/").status_code == 200  # the copy works while the session lives
    remembered_only = _with_cookies(app, {"remember_token": taken["remember_token"]})
    assert remembered_only.get("/profile").status_code == 200  # and the remember cookie alone signs in
    socket = app.extensions["socketio"].test_client(app, flask_test_client=_with_cookies(app, taken))
    assert socket.is_connected()
    socket.get_received()

    assert browser.post("/logout", data={"csrf_token": csrf_token(browser, "/")}).status_code == 302

    # the socket opened with the copy was told, then disconnected by the server
    assert [m["name"] for m in socket.queue] == ["session.ended"]
    assert not socket.is_connected()
    for copy in (_with_cookies(app, taken), _with_cookies(app, {"remember_token": taken["remember_token"]})):
        assert copy.get("/documents/").status_code == 302
        assert copy.get("/notifications/state", headers={"Accept": "application/json"}).status_code == 401
        assert not app.extensions["socketio"].test_client(app, flask_test_client=copy).is_connected()
    assert other.get("/documents/").status_code == 200  # the user's other sign-in is untouched
    assert app.extensions["socketio"].test_client(app, flask_test_client=other).is_connected()


def test_a_file_is_refused_to_a_cookie_of_an_ended_session(app, demo):
    import io

    browser = app.test_client()
    login(browser, "chuyenvien")
    upload = browser.post("/files/", data={"csrf_token": csrf_token(browser, "/files/"),
                                           "file": (io.BytesIO(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF"), "a.pdf")},
                          content_type="multipart/form-data")
    assert upload.status_code in (200, 302), upload.get_data(as_text=True)[:300]
    with app.app_context():
        from edoc.files.models import StoredFile

        file_id = db.session.execute(select(StoredFile.id).where(StoredFile.original_name == "a.pdf")).scalar_one()
    copy = _with_cookies(app, _cookies(browser))
    assert copy.get(f"/files/{file_id}").status_code == 200
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/")})
    assert copy.get(f"/files/{file_id}").status_code == 302


def test_sessions_expire_on_the_server_and_the_remember_cookie_lasts_two_weeks(app, demo):
    from datetime import timedelta

    from edoc.accounts.models import UserSession
    from edoc.core.db import utcnow

    browser = app.test_client()
    token = csrf_token(browser)
    response = browser.post("/login", data={"username": "chuyenvien", "password": "GiaLam@2023", "remember": "y",
                                            "csrf_token": token})
    remember = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert remember and "Max-Age=1209600" in remember[0] or "Expires=" in remember[0]
    with app.app_context():
        row = db.session.execute(select(UserSession)).scalar_one()
        assert timedelta(days=13, hours=23) < row.expires_at - row.created_at <= timedelta(days=14)
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert browser.get("/").status_code == 302
    login(browser, "chuyenvien")  # a new sign-in sweeps the expired row
    with app.app_context():
        rows = db.session.execute(select(UserSession)).scalars().all()
        assert len(rows) == 1 and not rows[0].remember
        assert rows[0].expires_at - rows[0].created_at == timedelta(hours=12)
