"""Sign-in: argon2id hashes, CSRF on every form, uniform failure messages, throttling, session endings."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from edoc.accounts.models import LoginAttempt, User
from edoc.audit.models import AuditEntry
from edoc.core.db import db
from tests.support.web import csrf_token, login


def test_passwords_are_argon2id(app, demo):
    with app.app_context():
        user = db.session.get(User, demo["vanthu"])
        assert user.password_hash.startswith("$argon2id$")


def test_production_profile_is_rfc_9106_low_memory():
    from argon2 import PasswordHasher

    from edoc.accounts import passwords

    # the suite hashes with argon2's cheapest profile (see conftest); what the product uses is this one
    made = PasswordHasher.from_parameters(passwords.PROFILE).hash("GiaLam@2023")
    assert made.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_login_and_logout(client, demo):
    login(client, "vanthu")
    page = client.get("/").get_data(as_text=True)
    assert "Nguyễn Thị Thu Hà" in page
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302
    assert client.get("/").status_code == 302  # back to the login page


def test_wrong_password_and_unknown_user_get_the_same_clear_message(client, demo, app):
    token = csrf_token(client)
    wrong = client.post("/login", data={"username": "vanthu", "password": "sai-mat-khau", "csrf_token": token})
    unknown = client.post("/login", data={"username": "khongco", "password": "whatever1", "csrf_token": token})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(LoginAttempt)).scalar_one() == 2
        actions = db.session.execute(select(AuditEntry.action)).scalars().all()
        assert actions.count("auth.login_failed") == 2


def test_login_without_csrf_token_is_refused(client, demo):
    response = client.post("/login", data={"username": "vanthu", "password": "GiaLam@2023"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in


def test_repeated_failures_are_throttled_even_with_the_right_password(client, demo):
    token = csrf_token(client)
    for _ in range(5):
        client.post("/login", data={"username": "chutich", "password": "nope-nope", "csrf_token": token})
    response = client.post("/login", data={"username": "chutich", "password": "GiaLam@2023", "csrf_token": token})
    assert response.status_code == 429
    assert "thử lại sau 15 phút" in response.get_data(as_text=True)
    # another user is not affected
    login(client, "vanthu")


def test_session_cookie_flags(client, demo):
    token = csrf_token(client)
    response = client.post("/login", data={"username": "vanthu", "password": "GiaLam@2023", "csrf_token": token})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookies_when_configured(settings_env, demo_free_app_factory):
    settings_env["EDOC_SECURE_COOKIES"] = "true"
    app = demo_free_app_factory(settings_env)
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True


def test_password_change_ends_other_sessions(app, demo):
    first, second = app.test_client(), app.test_client()
    login(first, "chuyenvien")
    login(second, "chuyenvien")
    token = csrf_token(first, "/profile")
    response = first.post("/profile", data={"action": "password", "pw-current_password": "GiaLam@2023",
                                            "pw-new_password": "MatKhauMoi@2026", "pw-csrf_token": token})
    assert response.status_code == 302
    assert first.get("/").status_code == 200  # the session that changed it goes on
    assert second.get("/").status_code == 302  # the other one has ended


def test_a_request_with_an_ended_session_writes_no_cookie(app, demo):
    """A page or script still holding a session that has ended is sent to sign in (a page) or answered 401 (a
    script), and the answer sets no cookie: in a browser, another tab may meanwhile have been given a fresh
    session, which a stale cookie written back would end."""
    stale, fresh = app.test_client(), app.test_client()
    login(stale, "chuyenvien")
    login(fresh, "chuyenvien")
    token = csrf_token(fresh, "/profile")
    assert fresh.post("/profile", data={"action": "password", "pw-current_password": "GiaLam@2023",
                                        "pw-new_password": "MatKhauMoi@2026", "pw-csrf_token": token}
                      ).status_code == 302
    page = stale.get("/documents/?tab=inbox")
    assert page.status_code == 302 and page.headers["Location"] == "/login?next=/documents/?tab%3Dinbox"
    assert "Set-Cookie" not in page.headers
    script = stale.get("/notifications/state", headers={"Accept": "application/json"})
    assert script.status_code == 401 and script.json["error"]["message"] == "Vui lòng đăng nhập để tiếp tục."
    assert "Set-Cookie" not in script.headers
    login_page = stale.get(page.headers["Location"]).get_data(as_text=True)
    assert "Vui lòng đăng nhập để tiếp tục." in login_page
    assert "Vui lòng đăng nhập để tiếp tục." not in app.test_client().get("/login").get_data(as_text=True)


def test_login_next_parameter_cannot_redirect_off_site(client, demo):
    token = csrf_token(client)
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "vanthu", "password": "GiaLam@2023", "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_inactive_user_cannot_sign_in(client, demo, app):
    with app.app_context():
        db.session.get(User, demo["daibieu"]).active = False
        db.session.commit()
    token = csrf_token(client)
    response = client.post("/login", data={"username": "daibieu", "password": "GiaLam@2023", "csrf_token": token})
    assert response.status_code == 401


def _attempt(client, username: str, password: str, address: str, **headers: str):
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def _flash(response) -> str:
    import re

    match = re.search(r'<div class="flash danger" role="alert">([^<]+)</div>', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:500]
    return match.group(1)


def _app_with(request, **settings: str):
    """The usual test app (emptied tables, demo loaded) with extra settings."""
    request.getfixturevalue("settings_env").update(settings)
    app = request.getfixturevalue("app")
    request.getfixturevalue("demo")
    return app


def test_a_password_spray_from_one_address_is_throttled(request, backend):
    app = _app_with(request, EDOC_LOGIN_MAX_FAILURES_PER_ADDRESS="4")
    sprayer = app.test_client()
    # One guess at each of four accounts (two of them unknown): no username reaches its own limit of 5.
    for username in ("vanthu", "chutich", "khongco", "ai-do"):
        assert _attempt(sprayer, username, "Matkhau@2024", "203.0.113.9").status_code == 401
    # The address has: even the right password of a fifth account is refused now, with the same message as
    # the per-username limit (tested above), which tells nothing about which limit or which account.
    refused = _attempt(sprayer, "daibieu", "GiaLam@2023", "203.0.113.9")
    assert refused.status_code == 429
    assert _flash(refused) == "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."
    assert _attempt(sprayer, "khongco-nua", "x" * 9, "203.0.113.9").status_code == 429
    # A forged X-Forwarded-For changes nothing while no proxy is trusted (EDOC_TRUSTED_PROXIES=0).
    assert _attempt(sprayer, "daibieu", "GiaLam@2023", "203.0.113.9",
                    **{"X-Forwarded-For": "198.51.100.1"}).status_code == 429
    # Colleagues elsewhere are not affected.
    assert _attempt(app.test_client(), "daibieu", "GiaLam@2023", "198.51.100.20").status_code == 302


def test_per_username_and_per_address_throttles_speak_alike(client, demo):
    for _ in range(5):
        _attempt(client, "chutich", "nope-nope", "192.0.2.1")
    by_name = _attempt(client, "chutich", "GiaLam@2023", "192.0.2.2")
    assert by_name.status_code == 429
    assert _flash(by_name) == "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(request, backend):
    app = _app_with(request, EDOC_LOGIN_MAX_FAILURES_PER_ADDRESS="2", EDOC_TRUSTED_PROXIES="1")
    proxy = "10.0.0.2"  # every request arrives from the proxy; the client is in X-Forwarded-For
    web = app.test_client()
    for username in ("vanthu", "chutich"):
        assert _attempt(web, username, "sai-mat-khau", proxy, **{"X-Forwarded-For": "203.0.113.50"}).status_code == 401
    assert _attempt(web, "daibieu", "GiaLam@2023", proxy, **{"X-Forwarded-For": "203.0.113.50"}).status_code == 429
    # Another client behind the same proxy signs in: the proxy's own address was never what was counted.
    assert _attempt(app.test_client(), "daibieu", "GiaLam@2023", proxy,
                    **{"X-Forwarded-For": "203.0.113.51"}).status_code == 302
    with app.app_context():
        addresses = set(db.session.execute(select(LoginAttempt.ip)).scalars())
    assert addresses == {"203.0.113.50"}


# "İ" lower-cases to two characters ("i" and a combining dot): 64 of them pass the form's 64-character limit and
# become 128, longer than login_attempt.username, which PostgreSQL refuses to store. NUL is refused by PostgreSQL
# in any text. Neither name can belong to an account; each must get the ordinary answer, never a 500.
ODD_USERNAMES = ["İ" * 64, "\u0130" * 30 + "vanthu", "vanthu\x00", "\x00" * 8, "VĂNTHƯ", "van thu", "ǅ" * 64]


@pytest.mark.parametrize("username", ODD_USERNAMES, ids=["dotted-I-64", "dotted-I-mixed", "nul-suffix", "nul-only",
                                                         "vietnamese", "space", "titlecase-64"])
def test_any_username_gets_the_ordinary_answer(client, demo, app, username):
    response = _attempt(client, username, "GiaLam@2023", "192.0.2.7")
    assert response.status_code == 401, response.get_data(as_text=True)[:300]
    assert _flash(response) == "Tên đăng nhập hoặc mật khẩu không đúng."
    assert client.get("/").status_code == 302  # "vanthu\x00" with vanthu's password is not vanthu
    with app.app_context():
        attempt = db.session.execute(select(LoginAttempt)).scalar_one()
        assert len(attempt.username) <= 64 and "\x00" not in attempt.username and attempt.ip == "192.0.2.7"
        failed = db.session.execute(select(AuditEntry).where(AuditEntry.action == "auth.login_failed")).scalar_one()
        assert failed.actor_id is None and failed.object_id == ""


def test_a_username_longer_than_the_form_allows_is_a_form_error(client, demo):
    response = _attempt(client, "a" * 65, "GiaLam@2023", "192.0.2.8")
    assert response.status_code == 400
    assert "dài quá 64 ký tự" in response.get_data(as_text=True)


def test_the_username_limit_is_the_column_width():
    """One number for the longest username: the column's width, which the login attempts' column, the forms and
    the service's pattern take from it."""
    from edoc.accounts.forms import LoginForm, UserForm
    from edoc.accounts.models import USERNAME_MAX
    from edoc.accounts.service import USERNAME_RE

    assert USERNAME_MAX == User.__table__.c.username.type.length == LoginAttempt.__table__.c.username.type.length
    assert USERNAME_RE.match("a" * USERNAME_MAX) and not USERNAME_RE.match("a" * (USERNAME_MAX + 1))
    for form in (LoginForm, UserForm):
        assert [v.max for v in form.username.kwargs["validators"] if hasattr(v, "max")] == [USERNAME_MAX]
