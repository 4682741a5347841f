"""Two server processes sharing Redis: an event emitted by one reaches a client connected to the other."""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path

import pytest
import requests
import socketio

from tests.support.components import missing, redis_url
from tests.support.live import live_server

pytestmark = pytest.mark.redis


def _require_redis() -> str:
    import redis

    url = redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        missing("Redis", f"{url}: {exc}")
    return url


def _login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = session.post(f"{base}/login", data={"username": username, "password": "GiaLam@2023",
                                                    "csrf_token": token}, allow_redirects=False)
    assert response.status_code == 302
    return session


def test_event_from_process_a_reaches_client_of_process_b(served_env, tmp_path: Path):
    env = {**served_env, "EDOC_REDIS_URL": _require_redis(), "EDOC_SOCKETIO_CHANNEL": f"edoc-test-{uuid.uuid4().hex}"}
    with live_server(env, tmp_path / "a.log") as server_a, live_server(env, tmp_path / "b.log") as server_b:
        user_on_b = _login(server_b, "chuyenvien")
        received: list[dict] = []
        arrived = threading.Event()
        client = socketio.Client()

        @client.on("notification")
        def _on(data: dict) -> None:
            received.append(data)
            arrived.set()

        cookie = "; ".join(f"{k}={v}" for k, v in user_on_b.cookies.items())
        client.connect(server_b, headers={"Cookie": cookie}, transports=["websocket"])
        try:
            admin_on_a = _login(server_a, "quantri")
            form = admin_on_a.get(f"{server_a}/admin/users/new").text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
            users = admin_on_a.get(f"{server_a}/admin/").text
            user_id = re.search(r'/admin/users/(\d+)">Phạm Quốc Bảo', users).group(1)
            response = admin_on_a.post(f"{server_a}/admin/users/{user_id}", allow_redirects=False, data={
                "csrf_token": token, "username": "chuyenvien", "full_name": "Phạm Quốc Bảo",
                "title": "Chuyên viên chính", "unit_id": "", "roles": ["specialist"], "active": "y"})
            assert response.status_code == 302
            assert arrived.wait(10), "the event emitted by process A never reached the client of process B"
            assert "đã cập nhật thông tin tài khoản của bạn" in received[0]["text"]
        finally:
            client.disconnect()


def test_unauthenticated_socket_is_refused_by_a_real_server(served_env, tmp_path: Path):
    with live_server(served_env, tmp_path / "s.log") as base:
        client = socketio.Client()
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(base, transports=["websocket"], wait_timeout=5)
        assert not client.connected
