"""Realtime: only signed-in users connect; a change for a user reaches their personal channel after commit."""

from __future__ import annotations

from edoc.core.db import db
from edoc.notifications.service import notify
from tests.support.web import login, post_form


def _heard(socket) -> list[dict]:
    """What a test socket received since last asked, also once the server has disconnected it (get_received()
    refuses a disconnected client)."""
    heard, socket.queue = socket.queue, []
    return heard


def test_unauthenticated_socket_is_refused(app, demo):
    socket = app.extensions["socketio"].test_client(app, flask_test_client=app.test_client())
    assert not socket.is_connected()


def test_signed_in_user_connects_and_gets_personal_notifications(app, demo):
    browser = app.test_client()
    login(browser, "chuyenvien")
    socket = app.extensions["socketio"].test_client(app, flask_test_client=browser)
    assert socket.is_connected()
    admin = app.test_client()
    login(admin, "quantri")
    post_form(admin, f"/admin/users/{demo['chuyenvien']}", {
        "username": "chuyenvien", "full_name": "Phạm Quốc Bảo", "title": "Chuyên viên chính", "unit_id": "",
        "roles": ["specialist"], "active": "y"})
    received = socket.get_received()
    notes = [m for m in received if m["name"] == "notification"]
    assert len(notes) == 1
    assert "đã cập nhật thông tin tài khoản của bạn" in notes[0]["args"][0]["text"]
    assert notes[0]["args"][0]["unread"] == 1


def test_events_of_a_rolled_back_transaction_are_never_sent(app, demo):
    browser = app.test_client()
    login(browser, "chuyenvien")
    socket = app.extensions["socketio"].test_client(app, flask_test_client=browser)
    socket.get_received()
    with app.app_context():
        notify(demo["chuyenvien"], "test", "không bao giờ tới")
        db.session.rollback()
        notify(demo["chuyenvien"], "test", "tới nơi")
        db.session.commit()
    texts = [m["args"][0]["text"] for m in socket.get_received() if m["name"] == "notification"]
    assert texts == ["tới nơi"]


def test_other_users_do_not_receive_someone_elses_notifications(app, demo):
    other = app.test_client()
    login(other, "daibieu")
    socket = app.extensions["socketio"].test_client(app, flask_test_client=other)
    socket.get_received()
    with app.app_context():
        notify(demo["chuyenvien"], "test", "riêng tư")
        db.session.commit()
    assert [m for m in socket.get_received() if m["name"] == "notification"] == []


def test_a_deactivated_user_s_open_pages_are_told_and_hear_nothing_more(app, demo):
    """Locking an account ends its sessions: its open page gets "session.ended" and leaves the personal room,
    so what is sent to that user afterwards no longer reaches the page opened before."""
    browser = app.test_client()
    login(browser, "chuyenvien")
    socket = app.extensions["socketio"].test_client(app, flask_test_client=browser)
    other = app.test_client()
    login(other, "daibieu")
    bystander = app.extensions["socketio"].test_client(app, flask_test_client=other)
    socket.get_received()
    bystander.get_received()
    admin = app.test_client()
    login(admin, "quantri")
    post_form(admin, f"/admin/users/{demo['chuyenvien']}", {
        "username": "chuyenvien", "full_name": "Phạm Quốc Bảo", "title": "Chuyên viên", "unit_id": "",
        "roles": ["specialist"]})  # "active" unchecked
    names = [m["name"] for m in _heard(socket)]
    assert names[-1] == "session.ended" and "notification" in names  # told why, after the account notice
    assert not socket.is_connected()  # then disconnected by the server
    with app.app_context():
        notify(demo["chuyenvien"], "test", "không còn tới trang cũ")
        notify(demo["daibieu"], "test", "vẫn tới")
        db.session.commit()
    assert _heard(socket) == []
    assert [m["args"][0]["text"] for m in bystander.get_received()] == ["vẫn tới"]  # nobody else was affected
    assert browser.get("/").status_code == 302  # and the page itself is signed out


def test_a_password_change_ends_the_other_pages_and_the_next_page_hears_again(app, demo):
    first = app.test_client()
    login(first, "chuyenvien")
    old_page = app.extensions["socketio"].test_client(app, flask_test_client=first)
    old_page.get_received()
    admin = app.test_client()
    login(admin, "quantri")
    with app.app_context():
        from edoc.accounts.models import User
        from edoc.accounts.service import set_password

        set_password(db.session.get(User, demo["quantri"]), db.session.get(User, demo["chuyenvien"]),
                     "MatKhauMoi@2026")
    assert [m["name"] for m in _heard(old_page)] == ["session.ended"]
    assert not old_page.is_connected()
    again = app.test_client()
    login(again, "chuyenvien", "MatKhauMoi@2026")
    new_page = app.extensions["socketio"].test_client(app, flask_test_client=again)
    new_page.get_received()
    with app.app_context():
        notify(demo["chuyenvien"], "test", "trang mới")
        db.session.commit()
    assert [m["args"][0]["text"] for m in new_page.get_received()] == ["trang mới"]
    assert _heard(old_page) == []
