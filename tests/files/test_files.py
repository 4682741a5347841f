"""Stored files: sniffed types, streamed uploads, integrity on read, access checks, nothing half-written."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder, run_wsgi_app

from edoc.accounts.models import Role
from edoc.core.db import db
from edoc.files.models import StoredFile
from tests.support.orgs import other_organisation
from tests.support.streams import Generated
from tests.support.web import csrf_token, login

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" + b"0" * 2000 + b"\n%%EOF\n"
# A note about PDFs, not a PDF: it was sniffed as one while "%PDF-" anywhere in the first KB was enough.
MENTIONS_PDF = "Ghi chú: mọi tệp PDF đều mở đầu bằng %PDF-1.7, sau đó là các đối tượng.\n".encode() * 3
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def _upload(client, name: str, data: bytes):
    token = csrf_token(client, "/files/")
    return client.post("/files/", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _count(app) -> int:
    """Uploaded files (the demo organisation also keeps its signature images, seal and credentials)."""
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(StoredFile)
                                  .where(StoredFile.purpose == "upload")).scalar_one()


def _objects(root: Path, app=None) -> list[Path]:
    """Objects in the local store that no demo row accounts for."""
    known: set[str] = set()
    if app is not None:
        with app.app_context():
            known = set(db.session.execute(select(StoredFile.key).where(StoredFile.purpose != "upload")).scalars())
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")
            and p.relative_to(root).as_posix() not in known]


def test_upload_records_sha256_size_and_sniffed_type(client, demo, app, settings_env):
    login(client, "chuyenvien")
    response = _upload(client, "Kế hoạch 445.pdf", PDF)
    assert response.status_code == 302
    with app.app_context():
        row = db.session.execute(select(StoredFile).where(StoredFile.purpose == "upload")).scalar_one()
        assert row.sha256 == hashlib.sha256(PDF).hexdigest() and row.size == len(PDF)
        assert row.media_type == "application/pdf" and row.original_name == "Kế hoạch 445.pdf"
        assert row.uploaded_by_id == demo["chuyenvien"]
        # key is never built from the name: the store's own pattern, all of it (a random hex part may hold "445")
        assert re.fullmatch(r"files/\d{4}/\d{2}/[0-9a-f]{32}", row.key) and "pdf" not in row.key.lower()
    download = client.get(f"/files/{row.id}")
    assert download.status_code == 200 and download.data == PDF
    assert "filename*=UTF-8''K%E1%BA%BF" in download.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [
        ("baocao.pdf", b"MZ\x90\x00 this is an exe" * 10, 415, "không khớp với loại tệp khai báo"),
        ("anh.png", PDF, 415, "không khớp với loại tệp khai báo"),
        ("virus.exe", b"MZ\x90\x00", 415, "không được hỗ trợ"),
        ("../../etc/passwd.pdf", PDF, 400, "phân cách thư mục"),
        ("bad\x00name.pdf", PDF, 400, "ký tự điều khiển"),
        ("bad\x1bname.pdf", PDF, 400, "ký tự điều khiển"),
        ("ghi-chu.pdf", MENTIONS_PDF, 415, "không khớp với loại tệp khai báo"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(client, demo, app, settings_env, name, data, status, message):
    login(client, "chuyenvien")
    response = _upload(client, name, data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert _count(app) == 0
    assert _objects(Path(settings_env["EDOC_STORAGE_DIR"]), app) == []


def test_oversized_upload_gets_413_and_nothing_is_stored(client, demo, app, settings_env):
    login(client, "chuyenvien")
    response = _upload(client, "lon.pdf", PDF + b"0" * (6 * 1024 * 1024))  # the test limit is 5 MB
    assert response.status_code == 413
    assert "vượt quá dung lượng cho phép (5 MB)" in response.get_data(as_text=True)
    assert _count(app) == 0
    assert _objects(Path(settings_env["EDOC_STORAGE_DIR"]), app) == []


def test_failed_transaction_leaves_no_row_and_removes_the_bytes(client, demo, app, settings_env, monkeypatch):
    import edoc.files.service as service

    def explode(*args, **kwargs):
        raise RuntimeError("database went away mid-transaction")

    monkeypatch.setattr(service, "record", explode)
    login(client, "chuyenvien")
    response = _upload(client, "a.pdf", PDF)
    assert response.status_code == 500  # a server fault, honestly reported; the point is what is left behind
    assert _count(app) == 0
    assert _objects(Path(settings_env["EDOC_STORAGE_DIR"]), app) == []


def test_a_deleted_file_keeps_its_bytes_until_the_commit(client, demo, app):
    """``delete_after_commit``: the row goes in the caller's transaction, the bytes only once it commits; a
    rollback leaves both as they were."""
    from edoc.files.service import delete_after_commit, get_store

    login(client, "chuyenvien")
    assert _upload(client, "xoa.pdf", PDF).status_code == 302
    file_id = _file_id(app)
    with app.app_context():
        store = get_store()
        key = db.session.get(StoredFile, file_id).key
        delete_after_commit(db.session.get(StoredFile, file_id))
        db.session.flush()
        assert db.session.get(StoredFile, file_id) is None and store.exists(key)  # not committed yet
        db.session.rollback()
        assert db.session.get(StoredFile, file_id) is not None and store.read_bytes(key) == PDF  # as they were
        delete_after_commit(db.session.get(StoredFile, file_id))
        db.session.commit()
        assert not store.exists(key)
    assert _count(app) == 0


def test_damaged_bytes_are_detected_on_download(client, demo, app, settings_env):
    login(client, "chuyenvien")
    _upload(client, "a.pdf", PDF)
    [path] = _objects(Path(settings_env["EDOC_STORAGE_DIR"]), app)
    path.write_bytes(PDF.replace(b"0000", b"1111", 1))
    with app.app_context():
        file_id = db.session.execute(select(StoredFile.id).where(StoredFile.purpose == "upload")).scalar_one()
    response = client.get(f"/files/{file_id}")
    assert response.status_code == 503
    assert "không còn nguyên vẹn" in response.get_data(as_text=True)


def test_damaged_large_file_is_refused_before_its_first_byte(client, demo, app, settings_env):
    from edoc.files.views import VERIFY_IN_MEMORY

    app.config["MAX_CONTENT_LENGTH"] = 4 * VERIFY_IN_MEMORY
    large = PDF + b"0" * (VERIFY_IN_MEMORY + 1)  # past the in-memory check: the store hashes its own file first
    login(client, "chuyenvien")
    assert _upload(client, "lon.pdf", large).status_code == 302
    with app.app_context():
        file_id = db.session.execute(select(StoredFile.id).where(StoredFile.purpose == "upload")).scalar_one()
    good = client.get(f"/files/{file_id}")
    assert good.status_code == 200 and good.data == large and good.headers["Content-Length"] == str(len(large))
    [path] = _objects(Path(settings_env["EDOC_STORAGE_DIR"]), app)
    with path.open("r+b") as damaged:  # one byte flipped at the very end, in place
        damaged.seek(-1, 2)
        damaged.write(b"X")
    response = client.get(f"/files/{file_id}")
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "không còn nguyên vẹn" in response.get_data(as_text=True)


def test_other_users_and_other_organisations_cannot_download(app, demo):
    owner = app.test_client()
    login(owner, "chuyenvien")
    _upload(owner, "rieng.pdf", PDF)
    with app.app_context():
        file_id = db.session.execute(select(StoredFile.id).where(StoredFile.purpose == "upload")).scalar_one()
    other_organisation(app, username="quantrikhac", role=Role.ADMIN)
    colleague = app.test_client()
    login(colleague, "daibieu")
    assert colleague.get(f"/files/{file_id}").status_code == 404
    foreign_admin = app.test_client()
    login(foreign_admin, "quantrikhac")
    assert foreign_admin.get(f"/files/{file_id}").status_code == 404
    own_admin = app.test_client()
    login(own_admin, "quantri")
    assert own_admin.get(f"/files/{file_id}").status_code == 200
    assert app.test_client().get(f"/files/{file_id}").status_code == 302  # anonymous: to the login page


def test_large_upload_is_streamed_not_held_in_memory(app, demo, settings_env):
    from edoc.accounts.models import User
    from edoc.accounts.service import create_api_token

    app.config["MAX_CONTENT_LENGTH"] = 200 * 1024 * 1024
    with app.app_context():
        _row, token = create_api_token(db.session.get(User, demo["chuyenvien"]), "bench")
    size = 100 * 1024 * 1024
    environ = EnvironBuilder(method="POST", path="/api/v1/uploads/lon.pdf",
                             headers={"Authorization": f"Bearer {token}"}).get_environ()
    # A stream that cannot seek or tell, as a real socket body: the app must not rewind or buffer it.
    environ.update({"wsgi.input": io.BufferedReader(Generated(size, prefix=b"%PDF-1.7\n")), "CONTENT_LENGTH": str(size),
                    "CONTENT_TYPE": "application/octet-stream"})
    tracemalloc.start()
    body, status, _headers = run_wsgi_app(app.wsgi_app, environ, buffered=True)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert status.startswith("201"), b"".join(body)
    assert json.loads(b"".join(body))["size"] == size
    assert peak < 40 * 1024 * 1024, f"peak Python allocation {peak / 2**20:.1f} MB for a 100 MB upload"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PDF, "application/pdf"),
        (b"\r\n\x00 %PDF-2.0\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),  # blank bytes first, then the header
        # A print job's preamble before the header, then the first object: readers open it.
        (b"\x1b%-12345X@PJL ENTER LANGUAGE = PDF\r\n%PDF-1.4\r\n%\xe2\xe3\r\n1 0 obj\r\n<<>>\r\nendobj\r\n",
         "application/pdf"),
        (MENTIONS_PDF, "text/plain"),
        (b"xem %PDF-1.4\n1 0 obj", "text/plain"),  # after junk, the header must start a line
        (b"ghi chu\n%PDF-1.4 la phien ban cu\n", "text/plain"),  # ... and be followed by an object
        (b"ghi chu\n%PDF-1.4\n1 0 objective\n", "text/plain"),
        (b"%PDF-\n", "text/plain"),  # no version: not a header
        (b"%PDF-9.9\n1 0 obj", "text/plain"),
        (b"x" * 1024 + b"\n%PDF-1.4\n1 0 obj", "text/plain"),  # a header past the first 1024 bytes
        (b"x" * 1022 + b"\n%PDF-1.4\n1 0 obj", "application/pdf"),  # starting at byte 1023: still within
    ],
    ids=["plain", "blank-first", "pjl-preamble", "note", "mid-line", "no-object", "not-an-object", "no-version",
         "bad-version", "too-far", "just-within"],
)
def test_a_pdf_is_told_by_its_header_not_by_a_mention(head, expected):
    from edoc.files import sniff

    assert sniff.sniff(head) == expected


def test_a_text_that_mentions_pdf_is_accepted_as_text(client, demo, app):
    login(client, "chuyenvien")
    assert _upload(client, "ghi-chu.txt", MENTIONS_PDF).status_code == 302
    with app.app_context():
        row = db.session.execute(select(StoredFile).where(StoredFile.purpose == "upload")).scalar_one()
        assert row.media_type == "text/plain"


def test_the_sweep_removes_old_orphans_and_spares_fresh_ones(client, demo, app, settings_env):
    """A fresh object without a row may be an upload whose transaction has not committed yet: only objects
    older than the grace period (an hour by default) go."""
    import os
    import time

    from edoc.files.service import SWEEP_GRACE, get_store, sweep_orphans

    login(client, "chuyenvien")
    assert _upload(client, "giu-lai.pdf", PDF).status_code == 302
    root = Path(settings_env["EDOC_STORAGE_DIR"])
    two_hours_ago = time.time() - 2 * 3600
    with app.app_context():
        store = get_store()
        kept = db.session.execute(select(StoredFile.key).where(StoredFile.purpose == "upload")).scalar_one()
        old, fresh = store.put(io.BytesIO(b"old orphan")).key, store.put(io.BytesIO(b"fresh orphan")).key
        for key in (old, kept):  # a row makes an old object safe; having no row makes it an orphan only if old
            os.utime(root / key, (two_hours_ago, two_hours_ago))
        assert sweep_orphans(dry_run=True) == [old]
        assert store.exists(old)  # a dry run deletes nothing
        assert sweep_orphans() == [old]
        assert not store.exists(old) and store.exists(fresh) and store.exists(kept)
        assert SWEEP_GRACE.total_seconds() == 3600
        # A shorter grace is the caller's choice: the fresh orphan goes once it is older than that.
        assert sweep_orphans(grace=timedelta(0)) == [fresh]
        assert not store.exists(fresh) and store.exists(kept)
        with pytest.raises(ValueError, match="negative"):
            sweep_orphans(grace=timedelta(seconds=-1))
    assert client.get(f"/files/{_file_id(app)}").data == PDF


def test_the_sweep_command_takes_the_grace_in_minutes(app, demo):
    """`edoc storage sweep`: an hour's grace unless told otherwise; a negative grace is refused by click."""
    from edoc.files.service import get_store

    with app.app_context():
        store = get_store()
        fresh = store.put(io.BytesIO(b"fresh orphan")).key
    runner = app.test_cli_runner()
    result = runner.invoke(args=["storage", "sweep", "--dry-run"])
    assert result.exit_code == 0 and result.output.strip() == "0 orphan object(s) found."
    result = runner.invoke(args=["storage", "sweep", "--older-than-minutes", "-5"])
    assert result.exit_code == 2 and "older-than-minutes" in result.output
    result = runner.invoke(args=["storage", "sweep", "--older-than-minutes", "0"])
    assert result.exit_code == 0 and result.output.strip() == "1 orphan object(s) deleted."
    with app.app_context():
        assert not get_store().exists(fresh)


def _file_id(app) -> int:
    with app.app_context():
        return db.session.execute(select(StoredFile.id).where(StoredFile.purpose == "upload")).scalar_one()


def _break_local_store(settings_env) -> Path:
    """Put a plain file where the store's folder was: every write fails, as on a full or read-only disk (the
    suite runs as root, for whom permission bits refuse nothing). Returns where the real folder went."""
    root = Path(settings_env["EDOC_STORAGE_DIR"])
    moved = root.with_name("files-moved")
    root.rename(moved)
    root.write_bytes(b"")
    return moved


def test_an_unwritable_store_is_a_503_and_nothing_is_written(client, demo, app, settings_env):
    from edoc.accounts.models import User
    from edoc.accounts.service import create_api_token
    from edoc.audit.models import AuditEntry

    login(client, "chuyenvien")
    with app.app_context():
        _row, token = create_api_token(db.session.get(User, demo["chuyenvien"]), "thử")
        entries = db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    moved = _break_local_store(settings_env)
    before = sorted(p.relative_to(moved) for p in moved.rglob("*"))
    page = _upload(client, "bao-cao.pdf", PDF)
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "Kho lưu trữ tệp tạm thời không ghi được, tệp chưa được lưu" in page.get_data(as_text=True)
    api = app.test_client().post("/api/v1/uploads/bao-cao.pdf", data=PDF,
                                 headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 503 and api.json["error"]["code"] == "storage_unavailable"
    assert "thử lại sau" in api.json["error"]["message"]
    assert _count(app) == 0
    with app.app_context():  # no row and no audit entry of an upload that did not happen
        assert db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == entries
    assert sorted(p.relative_to(moved) for p in moved.rglob("*")) == before
