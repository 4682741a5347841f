"""Running the real product as a separate process (``python -m edoc run``) for browser and multi-process tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
import socketio

from tests.support.components import free_port

ROOT = Path(__file__).resolve().parents[2]


def edoc_command(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "edoc", *args], env={**os.environ, **env}, cwd=ROOT,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"edoc {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result


@contextmanager
def live_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Start ``edoc run`` on a free loopback port; yield its base URL; stop it afterwards."""
    port = free_port()
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "edoc", "run", "--port", str(port)],
                            env={**os.environ, **env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"edoc run did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def http_login(base: str, username: str, password: str = "GiaLam@2023") -> requests.Session:
    """A signed-in HTTP session on a running server, through its login form."""
    session = requests.Session()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', session.get(f"{base}/login").text).group(1)
    response = session.post(f"{base}/login", data={"username": username, "password": password, "csrf_token": token},
                            allow_redirects=False)
    assert response.status_code == 302, response.text[:300]
    return session


def retitle_specialist(base: str) -> None:
    """The demo admin, on the server at ``base``, changes Phạm Quốc Bảo's title: an action that notifies him
    on his personal channel, wherever his browser is connected."""
    admin = http_login(base, "quantri")
    user_id = re.search(r'/admin/users/(\d+)">Phạm Quốc Bảo', admin.get(f"{base}/admin/").text).group(1)
    form = admin.get(f"{base}/admin/users/{user_id}").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    response = admin.post(f"{base}/admin/users/{user_id}", allow_redirects=False, data={
        "csrf_token": token, "username": "chuyenvien", "full_name": "Phạm Quốc Bảo",
        "title": "Chuyên viên chính", "unit_id": "", "roles": ["specialist"], "active": "y"})
    assert response.status_code == 302


@dataclass
class Listener:
    """A Socket.IO client signed in as someone, collecting the notifications on their personal channel."""

    client: socketio.Client
    received: list[dict] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)


@contextmanager
def notifications_of(base: str, username: str) -> Iterator[Listener]:
    """Connect (WebSocket only) to the server at ``base`` as ``username``, with their session cookie."""
    session = http_login(base, username)
    listener = Listener(socketio.Client())

    @listener.client.on("notification")
    def _on(data: dict) -> None:
        listener.received.append(data)
        listener.arrived.set()

    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    listener.client.connect(base, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10)
    try:
        yield listener
    finally:
        listener.client.disconnect()
