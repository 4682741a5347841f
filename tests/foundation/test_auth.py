"""Sign-in: argon2id hashes, CSRF on every form, uniform failure messages, throttling, session endings."""

from __future__ import annotations

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
