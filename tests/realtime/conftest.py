from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edoc.app import create_app
from edoc.config import Settings


@pytest.fixture
def served_env(sqlite_template: Path, tmp_path: Path) -> dict[str, str]:
    """A migrated SQLite database with the demo organisation, for servers started as separate processes.

    The demo is loaded in this process (a second interpreter would cost seconds of imports); the servers read
    the same database file, instance folder and store."""
    db_file = tmp_path / "edoc.sqlite3"
    shutil.copy(sqlite_template, db_file)
    env = {"EDOC_SECRET_KEY": "live-secret-key-" + "y" * 16, "EDOC_DATABASE_URL": f"sqlite:///{db_file}",
           "EDOC_INSTANCE_PATH": str(tmp_path / "instance"), "EDOC_STORAGE_DIR": str(tmp_path / "files")}
    from edoc.core.db import db
    from edoc.demo import load_demo

    app = create_app(Settings.from_env(env))
    with app.app_context():
        load_demo()
        db.session.remove()
        db.engine.dispose()
    return env
