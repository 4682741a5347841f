"""Throwaway PostgreSQL and Redis servers, for a machine where the configured ones do not work but the server
binaries are installed: each started on a free loopback port in a temporary folder, for one test process (each
pytest-xdist worker starts its own: simpler than sharing one across processes, and a few seconds at most), and
stopped and removed at the end of its session.

Also a pytest plugin (listed in tests/conftest.py's ``pytest_plugins``): its only hook stops what was started.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from glob import glob
from pathlib import Path

import pytest

START_TIMEOUT = 60.0


class NotStarted(Exception):
    """A throwaway server could not be started; the message says why, for a skip reason."""


@dataclass
class Throwaway:
    name: str
    url: str
    folder: Path
    process: subprocess.Popen[bytes]
    pid_of_server: Callable[[], int | None]
    stop_signal: int

    def stop(self) -> None:
        pid = self.pid_of_server()
        if pid is not None and self.process.poll() is None:
            try:
                os.kill(pid, self.stop_signal)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


_running: list[Throwaway] = []


def stop_all() -> None:
    while _running:
        _running.pop().stop()


# A session that ends without its last hook (an interpreter exit from elsewhere) still stops them; should the test
# process be killed outright, the servers get SIGTERM from the kernel (setpriv --pdeathsig, below).
atexit.register(stop_all)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # trylast: after the runner's own sessionfinish, which tears down session fixtures left over by an interrupted
    # run (the PostgreSQL fixture drops its database there, so its server must still be up).
    stop_all()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dies_with_this_process() -> list[str]:
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig=TERM", "--"] if setpriv else []


def _log_tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def _wait_until(answers: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NotStarted(f"{what} exited with code {process.returncode}: {_log_tail(log)}")
        if answers():
            return
        time.sleep(0.1)
    process.kill()
    process.wait(timeout=10)
    raise NotStarted(f"{what} did not answer within {START_TIMEOUT:.0f} s: {_log_tail(log)}")


# --- PostgreSQL -------------------------------------------------------------------------------------------------

def postgres_bin_dirs() -> list[Path]:
    """Where initdb and postgres are looked for: EDOC_TEST_POSTGRES_BIN alone if set, else Debian's
    /usr/lib/postgresql/<version>/bin (newest first), else the folder initdb on PATH really lives in."""
    override = os.environ.get("EDOC_TEST_POSTGRES_BIN")
    if override:
        return [Path(override)]

    def version(folder: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", Path(folder).parent.name))

    folders = [Path(f) for f in sorted(glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)]
    on_path = shutil.which("initdb")
    if on_path:
        folders.append(Path(on_path).resolve().parent)
    return folders


def postgres_binaries() -> Path | None:
    for folder in postgres_bin_dirs():
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


def _unprivileged() -> tuple[list[str], int, int] | None:
    """As root: the command prefix that runs as an unprivileged user (initdb and postgres refuse to run as root),
    with that user's uid and gid; None when not root. `postgres` (Debian's package creates it), else nobody."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        if shutil.which("setpriv"):
            # setpriv execs (no child left between us and the server) and keeps the parent-death signal.
            return ([shutil.which("setpriv") or "setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                     "--init-groups", "--pdeathsig=TERM", "--"], user.pw_uid, user.pw_gid)
        if shutil.which("runuser"):
            return ["runuser", "-u", name, "--"], user.pw_uid, user.pw_gid
        raise NotStarted("running as root, and neither setpriv nor runuser is here to run initdb as another user")
    raise NotStarted("running as root, and there is no postgres or nobody user to run initdb as")


def _utf8_locale() -> str:
    """C.UTF-8 where the system has it (as Debian's own clusters): lower() and ILIKE then fold Vietnamese letters,
    which the C locale leaves alone. Plain C elsewhere; the encoding is UTF-8 either way."""
    try:
        listed = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=10).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return "C"
    return "C.UTF-8" if {"C.utf8", "C.UTF-8"} & set(listed) else "C"


def start_postgres(bin_dir: Path) -> Throwaway:
    """A PostgreSQL server with trust authentication for the user ``postgres``; returns its base URL (no database
    name), as EDOC_TEST_POSTGRES is written."""
    drop = _unprivileged()
    folder = Path(tempfile.mkdtemp(prefix="edoc-test-postgres-"))
    try:
        if drop is not None:
            os.chown(folder, drop[1], drop[2])
        prefix = drop[0] if drop is not None else _dies_with_this_process()
        data = folder / "data"
        initdb = subprocess.run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", f"--locale={_utf8_locale()}", "--no-sync"],
            capture_output=True, text=True, timeout=120)
        if initdb.returncode != 0:
            raise NotStarted(f"initdb ({bin_dir}) failed: {' | '.join(initdb.stderr.strip().splitlines()[-3:])}")
        # A free port may be taken by another process before the server binds it: try a few.
        for _ in range(3):
            port = _free_port()
            log = folder / f"postgres-{port}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [*prefix, str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(folder),
                     "-c", "listen_addresses=127.0.0.1",
                     # Nothing here outlives the session: durability is only time spent.
                     "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            url = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
            try:
                _wait_until(lambda url=url: _postgres_answers(url), process, log, "postgres")
            except NotStarted:
                if "could not bind" in _log_tail(log, 20) or "already in use" in _log_tail(log, 20):
                    continue
                raise

            def postmaster_pid(data: Path = data) -> int | None:
                try:
                    return int((data / "postmaster.pid").read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    return None

            # SIGINT is PostgreSQL's fast shutdown: open sessions (pools not yet disposed) are ended, not awaited.
            server = Throwaway("PostgreSQL", url, folder, process, postmaster_pid, signal.SIGINT)
            _running.append(server)
            return server
        raise NotStarted("postgres could not bind a free port three times")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _postgres_answers(base_url: str) -> bool:
    import psycopg

    conninfo = base_url.replace("postgresql+psycopg://", "postgresql://", 1) + "/postgres"
    try:
        with psycopg.connect(conninfo, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


# --- Redis ------------------------------------------------------------------------------------------------------

def redis_server_binary() -> str | None:
    """EDOC_TEST_REDIS_SERVER alone if set, else redis-server on PATH."""
    override = os.environ.get("EDOC_TEST_REDIS_SERVER")
    if override:
        return override if Path(override).is_file() else None
    return shutil.which("redis-server")


def start_redis(binary: str) -> Throwaway:
    import redis

    folder = Path(tempfile.mkdtemp(prefix="edoc-test-redis-"))
    try:
        for _ in range(3):
            port = _free_port()
            log = folder / f"redis-{port}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [*_dies_with_this_process(), binary, "--port", str(port), "--bind", "127.0.0.1",
                     "--dir", str(folder), "--save", "", "--appendonly", "no", "--daemonize", "no"],
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            url = f"redis://127.0.0.1:{port}/0"

            def answers(url: str = url) -> bool:
                try:
                    return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
                except (redis.RedisError, OSError):
                    return False

            try:
                _wait_until(answers, process, log, "redis-server")
            except NotStarted:
                if "Address already in use" in _log_tail(log, 20):
                    continue
                raise
            server = Throwaway("Redis", url, folder, process, lambda process=process: process.pid, signal.SIGTERM)
            _running.append(server)
            return server
        raise NotStarted("redis-server could not bind a free port three times")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
