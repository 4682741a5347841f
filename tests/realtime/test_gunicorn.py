"""The production server as shipped: ``scripts/serve`` (the Docker image's ``edoc-serve``), i.e. gunicorn with the
gevent WebSocket worker and ``edoc.wsgi:app``. Two such servers share Redis; a Socket.IO client signed in on one
receives the event an action on the other emitted."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import socketio

from edoc.config import Settings
from edoc.core.errors import ConfigError
from tests.support.components import free_port, require_redis
from tests.support.live import http_login, notifications_of, retitle_specialist

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
    env = {**served_env, "EDOC_REDIS_URL": require_redis(), "EDOC_SOCKETIO_CHANNEL": f"edoc-test-{uuid.uuid4().hex}",
           "EDOC_WORKERS": "1"}  # one each: servers, not workers, are what this test spreads over
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


def _worker_pids(master: int) -> set[int]:
    """gunicorn's workers: the processes whose parent is the master."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == master:
            pids.add(int(stat.parent.name))
    return pids


def _serving_pid(client: socketio.Client, server_port: int, workers: set[int]) -> int:
    """The worker holding this client's WebSocket: the server side of its TCP connection, found in the kernel's
    table by the client's port, and the process that has that socket open."""
    client_port = client.eio.ws.sock.getsockname()[1]
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(address.rsplit(":", 1)[1], 16) for address in fields[1:3])
            if (local, remote) == (server_port, client_port):
                inodes.add(f"socket:[{fields[9]}]")
    for pid in workers:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) in inodes:
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def test_several_workers_carry_events_between_them_over_redis_websocket_only(served_env, tmp_path):
    env = {**served_env, "EDOC_REDIS_URL": require_redis(), "EDOC_SOCKETIO_CHANNEL": f"edoc-test-{uuid.uuid4().hex}",
           "EDOC_WORKERS": "2"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with _serve([_env(env, port)], tmp_path) as [(process, log_path)]:
        deadline = time.monotonic() + 60
        _wait_healthy(base, process, log_path, deadline)
        while len(workers := _worker_pids(process.pid)) < 2:
            assert time.monotonic() < deadline, f"2 workers expected, found {workers}"
            time.sleep(0.1)

        session = http_login(base, "chuyenvien")
        # The page tells its script to use WebSocket only (the CSP forbids an inline script to say so).
        assert 'data-socket-transports="websocket"' in session.get(f"{base}/").text
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        received: dict[int, threading.Event] = {}
        clients: list[tuple[socketio.Client, int]] = []
        try:
            # Connections are taken by whichever worker accepts first: connect until both hold some.
            while len({pid for _client, pid in clients}) < 2:
                assert len(clients) < 30, f"every WebSocket landed on one worker: {clients}"
                client = socketio.Client()
                arrived = received[id(client)] = threading.Event()
                client.on("notification", lambda _data, arrived=arrived: arrived.set())
                client.connect(base, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
                clients.append((client, _serving_pid(client, port, workers)))

            # One worker serves the change; every socket, on both workers, gets its event.
            retitle_specialist(base)
            for client, pid in clients:
                assert received[id(client)].wait(10), f"a socket on worker {pid} never got the event"
        finally:
            for client, _pid in clients:
                client.disconnect()

        # Long-polling is refused with a reason, by either worker; WebSocket (above) works.
        for _ in range(4):
            refused = requests.get(f"{base}/socket.io/?EIO=4&transport=polling", headers={"Cookie": cookie},
                                   timeout=10)
            assert refused.status_code == 400
            assert "accepts the WebSocket transport only" in refused.text
        polling = socketio.Client()
        with pytest.raises(socketio.exceptions.ConnectionError):
            polling.connect(base, headers={"Cookie": cookie}, transports=["polling"], wait_timeout=5)


def test_several_workers_need_redis(tmp_path):
    with pytest.raises(ConfigError, match=r"EDOC_WORKERS=2 needs EDOC_REDIS_URL"):
        Settings.from_env({"EDOC_INSTANCE_PATH": str(tmp_path), "EDOC_WORKERS": "2"})


@pytest.mark.parametrize(("env", "workers"), [
    ({}, "1"),  # the embedded default has no Redis: one process
    ({"EDOC_REDIS_URL": "redis://redis:6379/0"}, str(min(os.cpu_count() or 1, 4))),
    ({"EDOC_REDIS_URL": "redis://redis:6379/0", "EDOC_WORKERS": "3"}, "3"),
])
def test_serve_runs_a_worker_per_core_when_redis_is_there(tmp_path, env, workers):
    # gunicorn stood in by a script that shows what it was given
    (tmp_path / "gunicorn").write_text('#!/bin/sh\necho "EDOC_WORKERS=$EDOC_WORKERS $*"\n')
    (tmp_path / "gunicorn").chmod(0o755)
    base = {k: v for k, v in os.environ.items() if k not in {"EDOC_REDIS_URL", "EDOC_WORKERS"}}
    shown = subprocess.run(["sh", str(SERVE)], env={**base, **env, "PATH": f"{tmp_path}{os.pathsep}{base['PATH']}"},
                           capture_output=True, text=True, check=True).stdout
    assert f"EDOC_WORKERS={workers} " in shown and f"--workers {workers} " in shown, shown


@pytest.mark.parametrize(("env", "pool"), [
    ({}, (40, 10)),  # one process: as before
    ({"EDOC_WORKERS": "2"}, (20, 5)),
    ({"EDOC_WORKERS": "4"}, (10, 2)),
    ({"EDOC_WORKERS": "4", "EDOC_DB_CONNECTIONS": "80"}, (16, 4)),
    ({"EDOC_WORKERS": "4", "EDOC_DB_POOL_SIZE": "7"}, (7, 10)),
])
def test_each_worker_pool_is_its_share_of_the_connections(tmp_path, env, pool):
    settings = Settings.from_env({"EDOC_INSTANCE_PATH": str(tmp_path), "EDOC_REDIS_URL": "redis://127.0.0.1:6379/0",
                                  **env})
    assert settings.db_pool() == pool
    assert settings.socket_transports == (["websocket"] if "EDOC_WORKERS" in env else ["websocket", "polling"])


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
