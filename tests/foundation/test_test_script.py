"""scripts/test installs only when it must: a run naming what to test skips the system packages and pip while
pyproject.toml and scripts/system-deps are as they were at the last successful install; a run of everything, a
CI run and a changed input install first. Run on a copy of the script with every command it calls replaced by
one that writes what it was asked to a log."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _fake(path: Path, name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\necho "{name} $*" >> "$FAKE_LOG"\n')
    path.chmod(0o755)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "test", tmp_path / "scripts" / "test")
    _fake(tmp_path / "scripts" / "system-deps", "system-deps")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    _fake(tmp_path / ".venv" / "bin" / "python", "python")
    _fake(tmp_path / ".venv" / "bin" / "ruff", "ruff")
    _fake(tmp_path / "bin" / "python3", "python3")
    return tmp_path


def _run(checkout: Path, *args: str, **env: str) -> list[str]:
    log = checkout / "log"
    log.unlink(missing_ok=True)
    environ = {k: v for k, v in os.environ.items() if k not in {"CI", "EDOC_INSTALL", "EDOC_TEST_WORKERS"}}
    environ.update(PATH=f"{checkout / 'bin'}:{os.environ['PATH']}", FAKE_LOG=str(log), EDOC_TEST_WORKERS="1", **env)
    subprocess.run(["bash", str(checkout / "scripts" / "test"), *args], check=True, env=environ,
                   capture_output=True, timeout=60)
    return log.read_text().splitlines()


def _installed(lines: list[str]) -> bool:
    return any(line.startswith("system-deps") for line in lines) and any("pip install" in line for line in lines)


def test_one_part_runs_without_installing_again(checkout: Path) -> None:
    first = _run(checkout, "tests/registers")
    assert _installed(first), "no stamp yet: the first run installs"
    again = _run(checkout, "tests/registers")
    assert not _installed(again) and not any(line.startswith("python3") for line in again)
    assert again[-1] == "python -m pytest tests/registers" and "ruff check ." in again


def test_a_changed_input_or_a_whole_run_installs(checkout: Path) -> None:
    _run(checkout, "tests/registers")
    assert _installed(_run(checkout)), "no arguments: everything, installed first"
    assert _installed(_run(checkout, "-q", CI="true")), ".ci/run: always installs"
    assert _installed(_run(checkout, "tests/registers", EDOC_INSTALL="1"))
    assert not _installed(_run(checkout, "tests/registers"))
    with (checkout / "scripts" / "system-deps").open("a") as deps:
        deps.write("# a new Debian package\n")
    assert _installed(_run(checkout, "tests/registers")), "system-deps changed"
    (checkout / "pyproject.toml").write_text("[project]\nname = 'x'\ndependencies = ['y']\n")
    assert _installed(_run(checkout, "tests/registers")), "pyproject.toml changed"
    assert not _installed(_run(checkout, "tests/registers"))


def test_a_failed_install_is_tried_again(checkout: Path) -> None:
    _run(checkout, "tests/registers")
    (checkout / "scripts" / "system-deps").write_text("#!/bin/sh\necho system-deps >> \"$FAKE_LOG\"\nexit 1\n")
    with pytest.raises(subprocess.CalledProcessError):
        _run(checkout)
    _fake(checkout / "scripts" / "system-deps", "system-deps")
    assert _installed(_run(checkout, "tests/registers")), "the stamp went with the failed install"
