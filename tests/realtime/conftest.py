from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.live import edoc_command


@pytest.fixture
def served_env(sqlite_template: Path, tmp_path: Path) -> dict[str, str]:
    """A migrated SQLite database with the demo organisation, for servers started as separate processes."""
    db = tmp_path / "edoc.sqlite3"
    shutil.copy(sqlite_template, db)
    env = {"EDOC_SECRET_KEY": "live-secret-key-" + "y" * 16, "EDOC_DATABASE_URL": f"sqlite:///{db}",
           "EDOC_INSTANCE_PATH": str(tmp_path / "instance"), "EDOC_STORAGE_DIR": str(tmp_path / "files")}
    edoc_command(env, "demo")
    return env
