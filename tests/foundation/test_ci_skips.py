"""Under CI=true every skip fails the run, however the test skipped; without CI a skip stays a skip."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SUITE = '''
import pytest

@pytest.fixture
def component():
    pytest.skip("no such component here")

@pytest.mark.skipif(True, reason="runs only elsewhere")
def test_skipif_mark():
    pass

def test_skip_in_the_test():
    pytest.skip("decided at run time")

def test_skip_in_a_fixture(component):
    pass

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_expected_failure():
    assert False

def test_that_runs():
    assert True
'''

MODULE_SKIP = '''
import pytest

pytest.skip("this whole module is for another platform", allow_module_level=True)

def test_never_collected():
    pass
'''


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest('pytest_plugins = ["tests.support.ci_skips"]')
    pytester.makepyfile(test_suite=SUITE, test_module_skip=MODULE_SKIP)
    return pytester


def test_under_ci_every_kind_of_skip_fails_with_its_reason(suite, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest("-p", "no:cacheprovider", "-rA")
    outcomes = result.parseoutcomes()
    out = result.stdout.str()
    # skipif and the fixture's skip happen in setup (reported as errors), pytest.skip in the call (a failure);
    # the xfail and the passing test are untouched.
    assert (outcomes.get("errors"), outcomes.get("failed"), outcomes.get("passed"), outcomes.get("xfailed")) \
        == (2, 1, 1, 1), out
    for reason in ("runs only elsewhere", "decided at run time", "no such component here"):
        assert f"CI=true: a skipped test fails the run (skip reason: {reason})" in out, out
    # A module skipped at collection still counts as skipped, but it is named and the run fails.
    assert "CI=true: a skipped test fails the run: skipped at collection: test_module_skip.py: " \
           "this whole module is for another platform" in out, out
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_under_ci_a_module_skipped_at_collection_alone_fails_the_run(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    pytester.makeconftest('pytest_plugins = ["tests.support.ci_skips"]')
    pytester.makepyfile(test_module_skip=MODULE_SKIP, test_ok="def test_ok():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_without_ci_skips_are_skips(suite, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=4, xfailed=1)
    assert result.ret == 0


def test_under_ci_with_parallel_workers_skips_still_fail_the_run(pytester, monkeypatch):
    """The suite runs under pytest-xdist (two workers): the collection skip is reported by a worker to the
    controller, which must still fail the run."""
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest('pytest_plugins = ["tests.support.ci_skips"]')
    pytester.makepyfile(test_module_skip=MODULE_SKIP, test_ok="def test_ok():\n    pass\n",
                        test_runtime="import pytest\n\ndef test_skips():\n    pytest.skip('not here')\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    out = result.stdout.str()
    assert "skipped at collection: test_module_skip.py" in out, out
    assert "CI=true: a skipped test fails the run (skip reason: not here)" in out, out
    assert result.ret == pytest.ExitCode.TESTS_FAILED


# --- PostgreSQL and Redis: the configured server, else a throwaway one, else a skip that says what was tried ---

FINDER_SUITE = '''
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support import servers
from tests.support.components import postgres_url, redis_url


@pytest.fixture(scope="session")
def database():
    return postgres_url()  # as tests/conftest.py's postgres_database asks for it


def test_postgres():
    engine = create_engine(f"{postgres_url()}/postgres")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_postgres_from_a_session_fixture(database):
    assert database == postgres_url()


def test_redis():
    import redis

    assert redis.Redis.from_url(redis_url()).ping()


def test_zz_record_the_throwaways():
    Path(os.environ["EDOC_TEST_RECORD"]).write_text(
        "\\n".join(f"{s.name} {s.process.pid} {s.folder}" for s in servers._running))
'''


@contextlib.contextmanager
def _refusing_server() -> Iterator[int]:
    """Something that accepts connections on a loopback port and closes them at once: no database, yet a port
    check took it for one (a PostgreSQL that refuses the login fails the same way, after the port check)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def _run_finder_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, postgres: str,
                      redis: str) -> tuple[pytest.RunResult, list[str]]:
    record = pytester.path / "throwaways.txt"
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("EDOC_TEST_POSTGRES", postgres)
    monkeypatch.setenv("EDOC_TEST_REDIS", redis)
    monkeypatch.setenv("EDOC_TEST_RECORD", str(record))
    pytester.makeconftest('pytest_plugins = ["tests.support.ci_skips", "tests.support.servers"]')
    pytester.makepyfile(test_finder=FINDER_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", "-W", "ignore::DeprecationWarning")
    return result, record.read_text().splitlines() if record.exists() else []


def test_a_configured_server_that_refuses_gives_way_to_a_throwaway_one_or_a_skip_never_an_error(pytester,
                                                                                                 monkeypatch):
    from tests.support import servers

    monkeypatch.delenv("CI", raising=False)
    with _refusing_server() as port:
        result, throwaways = _run_finder_suite(pytester, monkeypatch, f"postgresql+psycopg://postgres@127.0.0.1:{port}",
                                               f"redis://127.0.0.1:{port}/0")
    out = result.stdout.str()
    outcomes = result.parseoutcomes()
    assert not {"error", "errors", "failed"} & outcomes.keys(), out
    postgres_here, redis_here = servers.postgres_binaries() is not None, servers.redis_server_binary() is not None
    assert outcomes.get("passed", 0) == 1 + 2 * postgres_here + redis_here, out
    for component, here in (("PostgreSQL", postgres_here), ("Redis", redis_here)):
        if here:
            assert f"{component} at " in out and f"127.0.0.1:{port} does not work" in out, out
            assert "this test process uses a throwaway server at " in out, out
        else:
            assert f"{component} unavailable: " in out and f"127.0.0.1:{port}: " in out, out
    # Each throwaway server was stopped and its folder removed at the end of the session.
    assert len(throwaways) == postgres_here + redis_here, throwaways
    for line in throwaways:
        _, pid, folder = line.split(" ", 2)
        assert not Path(folder).exists(), line
        assert not _alive(int(pid)), line


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state  # a zombie has exited (a container's init may be slow to reap it)


@pytest.mark.parametrize("ci", [False, True], ids=["developer", "ci"])
def test_without_a_working_server_or_binaries_the_tests_skip_with_what_was_tried(pytester, monkeypatch, tmp_path, ci):
    from tests.support.components import free_port

    monkeypatch.setenv("EDOC_TEST_POSTGRES_BIN", str(tmp_path / "no-postgres-here"))
    monkeypatch.setenv("EDOC_TEST_REDIS_SERVER", str(tmp_path / "no-redis-server-here"))
    if ci:
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
    closed = free_port()
    result, throwaways = _run_finder_suite(pytester, monkeypatch, f"postgresql+psycopg://postgres@127.0.0.1:{closed}",
                                           f"redis://127.0.0.1:{closed}/0")
    out = result.stdout.str()
    postgres = (f"PostgreSQL unavailable: postgresql+psycopg://postgres@127.0.0.1:{closed}: ", "Connection refused",
                f"and no PostgreSQL server binaries to start a throwaway one (initdb and postgres, looked for in "
                f"{tmp_path / 'no-postgres-here'}", "install postgresql or set EDOC_TEST_POSTGRES")
    redis = (f"Redis unavailable: redis://127.0.0.1:{closed}/0: ", "Connection refused",
             f"and no redis-server to start a throwaway one (looked for in {tmp_path / 'no-redis-server-here'}",
             "install redis-server or set EDOC_TEST_REDIS")
    for expected in (*postgres, *redis):
        assert expected in out, out
    if ci:
        # In a test, a failure; in a (session) fixture's setup, an error: either fails the run, naming the reason.
        result.assert_outcomes(passed=1, failed=2, errors=1)
        assert "CI=true and PostgreSQL unavailable" in out and "CI=true and Redis unavailable" in out, out
    else:
        result.assert_outcomes(passed=1, skipped=3)
    assert throwaways == []
