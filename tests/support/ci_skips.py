"""Pytest plugin: under CI (``CI=true``) a skipped test fails the run.

``tests.support.components.missing`` already fails instead of skipping for a missing component; this catches
every other way a test can skip (``skipif`` marks, ``pytest.skip`` in a test or fixture, ``importorskip``, a
module-level skip), so a green CI run always means every collected test ran. Expected failures (``xfail``) are
not skips and keep their meaning.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tests.support.components import in_ci

PREFIX = "CI=true: a skipped test fails the run"
_COLLECTION_SKIPS = pytest.StashKey[list[str]]()


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, object, object]:
    report = yield
    assert isinstance(report, pytest.TestReport)
    if report.skipped and not hasattr(report, "wasxfail") and in_ci():
        report.outcome = "failed"
        report.longrepr = f"{PREFIX} (skip reason: {_reason(report)})"
    return report


class _CollectionSkips:
    """A module skipped at collection is recorded, not turned into a collection error: that would interrupt the
    whole session and hide every other result. The run fails at its end instead (below). ``pytest_collectreport``
    runs in the process that reports the session: the only one, or pytest-xdist's controller, which workers
    send their skipped collections to. One instance per session's config, so nested sessions (pytester) keep
    their own records."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.skipped and in_ci():
            self.config.stash.setdefault(_COLLECTION_SKIPS, []).append(f"{report.nodeid}: {_reason(report)}")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_CollectionSkips(config), "edoc-collection-skips")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    for line in config.stash.get(_COLLECTION_SKIPS, []):
        terminalreporter.write_line(f"{PREFIX}: skipped at collection: {line}", red=True, bold=True)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config.stash.get(_COLLECTION_SKIPS, []) and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
