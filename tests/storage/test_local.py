"""What only the local folder store does: atomic files under its root, nothing outside it, no URLs."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import storage
from tests.support.components import missing

ROOT = Path(__file__).resolve().parents[2]


def test_url_is_none_so_the_app_streams_through_its_access_check(local_store):
    stored = local_store.put(io.BytesIO(b"x"))
    assert local_store.url(stored.key, expires=timedelta(seconds=60), filename="a.pdf") is None


def test_object_is_a_file_under_the_root(local_store):
    stored = local_store.put(io.BytesIO(b"bytes on disk"))
    path = local_store.root / stored.key
    assert path.read_bytes() == b"bytes on disk"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left beside it


def test_symlink_out_of_the_root_is_refused(local_store, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"not yours")
    (local_store.root / "files").mkdir(parents=True)
    os.symlink(outside, local_store.root / "files" / "link")
    with pytest.raises(storage.InvalidKey, match="leaves the store"):
        local_store.read_bytes("files/link/secret")
    with pytest.raises(storage.InvalidKey):
        local_store.delete("files/link/secret")
    assert (outside / "secret").exists()


def test_temporary_files_are_neither_listed_nor_reachable(local_store):
    stored = local_store.put(io.BytesIO(b"done"))
    crashed = local_store.root / "files" / ".part-abc123"
    crashed.write_bytes(b"half an upload")  # what a crash mid-put leaves
    assert list(local_store.keys()) == [stored.key]
    with pytest.raises(storage.InvalidKey):
        local_store.exists("files/.part-abc123")


def test_a_folder_is_not_an_object(local_store):
    stored = local_store.put(io.BytesIO(b"x"))
    folder = stored.key.rsplit("/", 1)[0]
    assert not local_store.exists(folder)
    with pytest.raises(storage.ObjectNotFound):
        local_store.open(folder)
    local_store.delete(folder)
    assert local_store.exists(stored.key)


def test_unwritable_root_is_named(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(storage.StorageUnavailable, match=f"EDOC_STORAGE_DIR {blocker}/objects is not writable"):
        storage.LocalStore(blocker / "objects").check()
    with pytest.raises(storage.StorageUnavailable, match="EDOC_STORAGE_DIR"):
        storage.LocalStore(blocker / "objects").put(io.BytesIO(b"x"))


def test_root_on_a_read_only_filesystem_is_named():
    # procfs refuses new folders even to root, like a read-only mount would.
    with pytest.raises(storage.StorageUnavailable, match="EDOC_STORAGE_DIR /proc/edoc-objects is not writable"):
        storage.LocalStore("/proc/edoc-objects").check()


def test_read_only_root_is_named(tmp_path):
    root = tmp_path / "objects"
    root.mkdir()
    root.chmod(0o555)
    # The check runs in a child process so that, as root, it can run without CAP_DAC_OVERRIDE: root writes
    # through permission bits only because of that capability, so dropping it makes the test mean the same for
    # root (CI containers) as for anyone else instead of skipping there.
    command = [sys.executable, "-c", _CHECK, str(root)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            missing("setpriv", "needed to drop root's CAP_DAC_OVERRIDE (Debian util-linux)")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *command]
    try:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    finally:
        root.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(f"refused: EDOC_STORAGE_DIR {re.escape(str(root))} is not writable: Permission denied\n",
                        result.stdout), result.stdout
    assert list(root.iterdir()) == []


_CHECK = """
import sys
import storage
try:
    storage.LocalStore(sys.argv[1]).check()
except storage.StorageUnavailable as exc:
    print("refused:", exc)
else:
    print("written")
"""


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.parametrize("checked", [False, True], ids=["plain", "checked"])
def test_closing_a_download_early_closes_the_file(local_store, checked):
    stored = local_store.put(io.BytesIO(b"x" * 300_000))
    before = _open_files()
    chunks = local_store.open(stored.key, chunk_size=1000, expected_sha256=stored.sha256 if checked else None)
    assert next(chunks) == b"x" * 1000
    assert _open_files() == before + 1
    chunks.close()  # what a WSGI server does when the client goes away
    assert _open_files() == before
