"""Realtime: only signed-in users connect; a change for a user reaches their personal channel after commit."""

from __future__ import annotations

from edoc.core.db import db
from edoc.notifications.service import notify
from tests.support.web import login, post_form


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
