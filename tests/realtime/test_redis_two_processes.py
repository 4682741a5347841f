"""Two server processes sharing Redis: an event emitted by one reaches a client connected to the other."""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path

import pytest
import socketio

from tests.support.components import require_redis
from tests.support.live import http_login, live_server, notifications_of, retitle_specialist

pytestmark = pytest.mark.redis






def test_event_from_process_a_reaches_client_of_process_b(served_env, tmp_path: Path):
    env = {**served_env, "EDOC_REDIS_URL": require_redis(), "EDOC_SOCKETIO_CHANNEL": f"edoc-test-{uuid.uuid4().hex}"}
    with live_server(env, tmp_path / "a.log") as server_a, live_server(env, tmp_path / "b.log") as server_b:
        with notifications_of(server_b, "chuyenvien") as listener:
            retitle_specialist(server_a)
            assert listener.arrived.wait(10), "the event emitted by process A never reached the client of process B"
            assert "đã cập nhật thông tin tài khoản của bạn" in listener.received[0]["text"]


def test_unauthenticated_socket_is_refused_by_a_real_server(served_env, tmp_path: Path):
    with live_server(served_env, tmp_path / "s.log") as base:
        client = socketio.Client()
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(base, transports=["websocket"], wait_timeout=5)
        assert not client.connected


def test_logout_on_one_process_disconnects_that_sessions_socket_on_the_other(served_env, tmp_path: Path):
    """The session signs out through process A; its socket, held by process B, is told and disconnected there
    (close_room of the session's room travels through Redis; each process disconnects its own connections)."""
    env = {**served_env, "EDOC_REDIS_URL": require_redis(), "EDOC_SOCKETIO_CHANNEL": f"edoc-test-{uuid.uuid4().hex}"}
    with live_server(env, tmp_path / "a.log") as server_a, live_server(env, tmp_path / "b.log") as server_b:
        browser = http_login(server_a, "chuyenvien")
        client = socketio.Client(reconnection=False)
        ended, gone = threading.Event(), threading.Event()
        client.on("session.ended", lambda *args: ended.set())
        client.on("disconnect", lambda *args: gone.set())
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        client.connect(server_b, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
        token = re.search(r'name="csrf-token" content="([^"]+)"', browser.get(f"{server_a}/").text).group(1)
        assert browser.post(f"{server_a}/logout", data={"csrf_token": token}, allow_redirects=False).status_code == 302
        assert ended.wait(10), "process B's socket was not told the session ended"
        assert gone.wait(10), "process B did not disconnect the ended session's socket"
        again = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):  # the same cookie connects no more
            again.connect(server_b, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=5)
