"""The production server as shipped: ``scripts/serve`` (the Docker image's ``edoc-serve``), i.e. gunicorn with the
gevent WebSocket worker and ``edoc.wsgi:app``. Two such servers share Redis; a Socket.IO client signed in on one
receives the event an action on the other emitted."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import socketio

from tests.support.components import free_port, require_redis
from tests.support.live import notifications_of, retitle_specialist

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "scripts" / "serve"




def _env(extra: dict[str, str], port: int) -> dict[str, str]:
    # gunicorn from this interpreter's environment, as the image has it on PATH.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, **extra, "PATH": path, "EDOC_BIND": f"127.0.0.1:{port}"}


@contextmanager
def _serve(envs: list[dict[str, str]], tmp_path: Path) -> Iterator[list[tuple[subprocess.Popen[bytes], Path]]]:
    """Start one ``scripts/serve`` per environment; stop them all together at the end."""
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    logs = []
    try:
        for i, env in enumerate(envs):
            log_path = tmp_path / f"gunicorn-{i}.log"
            logs.append(log_path.open("wb"))
            started.append((subprocess.Popen(["sh", str(SERVE)], env=env, cwd=ROOT, stdout=logs[-1],
                                             stderr=subprocess.STDOUT, start_new_session=True), log_path))
        yield started
    finally:
        running = [process for process, _log in started if process.poll() is None]
        for process in running:
            os.killpg(process.pid, signal.SIGINT)  # gunicorn's quick shutdown: open WebSockets need not drain
        for process in running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in logs:
            log.close()


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log_path: Path, deadline: float) -> None:
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"gunicorn did not start: {log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)




def test_two_gunicorn_servers_share_events_over_redis(served_env, tmp_path):
    env = {**served_env, "EDOC_REDIS_URL": require_redis(), "EDOC_SOCKETIO_CHANNEL": f"edoc-test-{uuid.uuid4().hex}"}
    ports = [free_port(), free_port()]
    with _serve([_env(env, port) for port in ports], tmp_path) as servers:
        base_a, base_b = (f"http://127.0.0.1:{port}" for port in ports)
        deadline = time.monotonic() + 60
        for base, (process, log_path) in zip((base_a, base_b), servers, strict=True):
            _wait_healthy(base, process, log_path, deadline)
            # It really is gunicorn's gevent WebSocket worker answering, not a development server.
            log = log_path.read_text(errors="replace")
            assert "Using worker: geventwebsocket.gunicorn.workers.GeventWebSocketWorker" in log, log[-2000:]

        with notifications_of(base_b, "chuyenvien") as listener:
            assert listener.client.transport() == "websocket"
            retitle_specialist(base_a)
            assert listener.arrived.wait(10), "the event emitted by server A never reached the client of server B"
            assert "đã cập nhật thông tin tài khoản của bạn" in listener.received[0]["text"]
        # Unauthenticated sockets are refused by the production worker too.
        anonymous = socketio.Client()
        with pytest.raises(socketio.exceptions.ConnectionError):
            anonymous.connect(base_a, transports=["websocket"], wait_timeout=5)


def test_the_server_stops_at_once_on_a_database_that_is_not_migrated(tmp_path):
    env = {"EDOC_SECRET_KEY": "live-secret-key-" + "y" * 16, "EDOC_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "EDOC_INSTANCE_PATH": str(tmp_path / "instance"), "EDOC_STORAGE_DIR": str(tmp_path / "files")}
    with _serve([_env(env, free_port())], tmp_path) as [(process, log_path)]:
        assert process.wait(timeout=60) != 0  # the master stops instead of respawning the worker for ever
    log = log_path.read_text(errors="replace")
    assert "edoc: cấu hình sai / bad setting: EDOC_DATABASE_URL: the database at sqlite:///" in log
    assert "run `edoc db upgrade`" in log and "Traceback" not in log


def test_the_image_and_compose_run_that_same_command():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY scripts/serve /usr/local/bin/edoc-serve" in dockerfile
    [cmd] = [line for line in dockerfile.splitlines() if line.startswith("CMD ")]
    assert cmd == 'CMD ["sh", "-c", "edoc db upgrade && exec edoc-serve"]'
    assert "EDOC_ASYNC_MODE=gevent" in dockerfile
    compose = (ROOT / "docker-compose.yml").read_text()
    # the app's block ends where the next service (the worker, which does name its command) or the volumes begin
    app_service = re.split(r"\n  [\w-]+:\n|\nvolumes:", compose.split("\n  app:\n", 1)[1], maxsplit=1)[0]
    assert "build: ." in app_service and "command:" not in app_service and "entrypoint:" not in app_service
    serve = SERVE.read_text()
    assert ("exec gunicorn --worker-class geventwebsocket.gunicorn.workers.GeventWebSocketWorker" in serve
            and "edoc.wsgi:app" in serve)
