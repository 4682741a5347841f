"""Under CI=true every skip fails the run, however the test skipped; without CI a skip stays a skip."""

from __future__ import annotations

import pytest

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
    from pathlib import Path

    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    pytester.makeconftest('pytest_plugins = ["tests.support.ci_skips"]')
    pytester.makepyfile(test_module_skip=MODULE_SKIP, test_ok="def test_ok():\n    pass\n",
                        test_runtime="import pytest\n\ndef test_skips():\n    pytest.skip('not here')\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    out = result.stdout.str()
    assert "skipped at collection: test_module_skip.py" in out, out
    assert "CI=true: a skipped test fails the run (skip reason: not here)" in out, out
    assert result.ret == pytest.ExitCode.TESTS_FAILED
