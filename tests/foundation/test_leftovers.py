"""What a process killed with SIGKILL in the middle of storing files leaves, and that `edoc storage sweep` takes it.

A real process (the app, on the test's database) stores a file inside a transaction it never commits, starts a
second upload and is killed half-way through it. Left behind: the first file's object (its row died with the
transaction, on PostgreSQL as on SQLite) and the second's temporary ``.part-`` file. Both are spared while younger
than the sweep's grace, and both go once older.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from edoc.core.db import db
from edoc.files.models import StoredFile

CHILD = r"""
import io, json, os, sys, time
from edoc.app import create_app
from edoc.config import Settings
from edoc.core.db import db
from edoc.accounts.models import User
from edoc.files.service import get_store, store_bytes

app = create_app(Settings.from_env(json.loads(sys.argv[1])))
with app.app_context():
    user = db.session.get(User, int(sys.argv[2]))
    row = store_bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "chua-luu.pdf", uploader=user, purpose="upload",
                      media_type="application/pdf")
    db.session.flush()  # the row is written in the open transaction, never committed

    class Slow(io.RawIOBase):
        # an upload whose client stops sending after the first chunk
        sent = False
        def readable(self): return True
        def readinto(self, buffer):
            if self.sent:
                print(json.dumps({"key": row.key}), flush=True)
                time.sleep(600)
            self.sent = True
            buffer[:5] = b"%PDF-"
            return 5

    get_store().put(Slow())
"""


def test_a_killed_process_leaves_nothing_the_sweep_does_not_take(app, demo, settings_env):
    from edoc.files.service import get_store, sweep_orphans

    root = Path(settings_env["EDOC_STORAGE_DIR"])
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(settings_env), str(demo["chuyenvien"])],
                             stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        line = child.stdout.readline()  # type: ignore[union-attr]
        assert line, "the child process died before storing anything"
        key = json.loads(line)["key"]
        partial = [p for p in root.rglob(".part-*")]
        assert len(partial) == 1, partial  # its first chunk may still be in the killed process's buffer
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    with app.app_context():
        store = get_store()
        assert store.exists(key)
        # the row died with the killed transaction
        assert db.session.execute(select(func.count()).where(StoredFile.key == key)).scalar_one() == 0
        assert sweep_orphans() == []  # younger than the hour's grace: it could be a write still under way
        assert store.exists(key) and partial[0].exists()
        two_hours_ago = time.time() - 2 * 3600
        for path in (root / key, partial[0]):
            os.utime(path, (two_hours_ago, two_hours_ago))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["storage", "sweep"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 orphan object(s) deleted."
    with app.app_context():
        assert not get_store().exists(key)
    assert not partial[0].exists()
    assert list(root.rglob(".part-*")) == []


def test_partial_files_are_swept_only_from_inside_the_store(tmp_path):
    from storage.base import InvalidKey
    from storage.local import LocalStore

    store = LocalStore(tmp_path / "store")
    (tmp_path / "store" / "files" / "ab").mkdir(parents=True)
    leftover = tmp_path / "store" / "files" / "ab" / ".part-x1"
    leftover.write_bytes(b"half")
    outside = tmp_path / ".part-outside"
    outside.write_bytes(b"not ours")
    assert [p.key for p in store.partial_uploads()] == ["files/ab/.part-x1"]
    for name in ("../.part-outside", "files/ab/real-object"):
        try:
            store.delete_partial(name)
        except InvalidKey:
            pass
        else:
            raise AssertionError(f"{name} was accepted")
    assert outside.exists()
    store.delete_partial("files/ab/.part-x1")
    assert not leftover.exists()
