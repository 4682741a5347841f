"""Two server processes sharing Redis: an event emitted by one reaches a client connected to the other."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import socketio

from tests.support.components import require_redis
from tests.support.live import live_server, notifications_of, retitle_specialist

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
