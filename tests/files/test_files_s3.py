"""The app on the real S3 server: uploads land in the bucket; downloads go through the access check and are
checked against their SHA-256 before the first byte leaves, unless the operator opted into presigned redirects
(EDOC_S3_PUBLIC_URL)."""

from __future__ import annotations

import io
import urllib.request
import uuid

import pytest
from minio import Minio
from sqlalchemy import func, select

from edoc.accounts.models import User
from edoc.core.db import db
from edoc.files.models import StoredFile
from edoc.files.views import VERIFY_IN_MEMORY
from tests.support.web import csrf_token, login

PDF = b"%PDF-1.4\n" + "Công đoàn Gia Lâm".encode() * 100 + b"\n%%EOF\n"
# Past the in-memory limit: checked by spooling the object to a temporary file.
LARGE_PDF = b"%PDF-1.4\n" + b"0" * (VERIFY_IN_MEMORY + 1024 * 1024) + b"\n%%EOF\n"


@pytest.fixture
def settings_env(settings_env, s3_server):
    settings_env.update({"EDOC_STORAGE": "s3", "EDOC_S3_ENDPOINT": s3_server.endpoint,
                         "EDOC_S3_ACCESS_KEY": s3_server.access_key, "EDOC_S3_SECRET_KEY": s3_server.secret_key,
                         "EDOC_S3_BUCKET": f"edoc-app-{uuid.uuid4().hex[:10]}", "EDOC_S3_SECURE": "false",
                         "EDOC_MAX_UPLOAD_MB": "20"})
    return settings_env


def _upload(app, client, data: bytes, name: str = "báo cáo.pdf") -> StoredFile:
    token = csrf_token(client, "/files/")
    response = client.post("/files/", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        row = db.session.execute(select(StoredFile).where(StoredFile.purpose == "upload")
                                 .order_by(StoredFile.id.desc())).scalars().first()
        db.session.expunge(row)
        return row


def _minio(s3_server) -> Minio:
    return Minio(s3_server.endpoint, access_key=s3_server.access_key, secret_key=s3_server.secret_key, secure=False)


def _api(app, username: str) -> dict[str, str]:
    from edoc.accounts.service import create_api_token

    with app.app_context():
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        return {"Authorization": f"Bearer {create_api_token(user, 'thử')[1]}"}


@pytest.mark.parametrize("data", [PDF, LARGE_PDF], ids=["in-memory", "spooled"])
def test_download_is_streamed_and_checked_by_default(app, client, demo, settings_env, s3_server, data):
    login(client, "chuyenvien")
    row = _upload(app, client, data)
    bucket = settings_env["EDOC_S3_BUCKET"]
    assert _minio(s3_server).get_object(bucket, row.key).read() == data
    download = client.get(f"/files/{row.id}")
    assert download.status_code == 200 and "Location" not in download.headers
    assert download.data == data and download.headers["Content-Length"] == str(len(data))
    assert "filename*=UTF-8''b%C3%A1o%20c%C3%A1o.pdf" in download.headers["Content-Disposition"]
    stranger = app.test_client()
    login(stranger, "daibieu")
    assert stranger.get(f"/files/{row.id}").status_code == 404  # no bytes without the access check


@pytest.mark.parametrize("data", [PDF, LARGE_PDF], ids=["in-memory", "spooled"])
def test_a_tampered_object_is_refused_with_a_clear_error(app, client, demo, settings_env, s3_server, data):
    login(client, "chuyenvien")
    row = _upload(app, client, data)
    tampered = data.replace(b"%PDF-1.4", b"%PDF-1.5", 1)  # same size, one byte differs
    _minio(s3_server).put_object(settings_env["EDOC_S3_BUCKET"], row.key, io.BytesIO(tampered), len(tampered))
    page = client.get(f"/files/{row.id}")
    assert page.status_code == 503
    assert page.mimetype == "text/html" and tampered[:64] not in page.data
    assert "Tệp trong kho lưu trữ không còn nguyên vẹn (sai mã SHA-256)" in page.get_data(as_text=True)
    api = app.test_client().get(f"/api/v1/files/{row.id}/content", headers=_api(app, "chuyenvien"))
    assert api.status_code == 503 and api.json["error"]["code"] == "stored_file_damaged"
    assert "không còn nguyên vẹn" in api.json["error"]["message"]


def test_a_missing_object_is_refused_with_a_clear_error(app, client, demo, settings_env, s3_server):
    login(client, "chuyenvien")
    row = _upload(app, client, PDF)
    _minio(s3_server).remove_object(settings_env["EDOC_S3_BUCKET"], row.key)
    page = client.get(f"/files/{row.id}")
    assert page.status_code == 503 and "Tệp không còn trong kho lưu trữ" in page.get_data(as_text=True)


@pytest.fixture
def public_env(settings_env, s3_server):
    # "localhost" rather than the 127.0.0.1 the server itself uses: the URL must be signed for the address the
    # browser is told, not the internal one.
    port = s3_server.endpoint.rsplit(":", 1)[1]
    settings_env["EDOC_S3_PUBLIC_URL"] = f"http://localhost:{port}"
    return settings_env


def test_presigned_redirects_only_when_the_operator_opts_in(public_env, app, client, demo, s3_server):
    login(client, "chuyenvien")
    row = _upload(app, client, PDF)
    download = client.get(f"/files/{row.id}")
    assert download.status_code == 302
    location = download.headers["Location"]
    assert location.startswith(public_env["EDOC_S3_PUBLIC_URL"] + "/") and "X-Amz-Signature" in location
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(location, timeout=10) as fetched:
        assert fetched.read() == PDF
        assert "b%C3%A1o%20c%C3%A1o.pdf" in fetched.headers["Content-Disposition"]
    inline = client.get(f"/files/{row.id}?inline=1")  # previews are still streamed (and checked) by the app
    assert inline.status_code == 200 and inline.data == PDF
    stranger = app.test_client()
    login(stranger, "daibieu")
    assert stranger.get(f"/files/{row.id}").status_code == 404  # no URL is handed out without the check


def test_the_sweep_goes_by_s3_last_modified(app, client, demo, settings_env, s3_server):
    """S3 tells each object's LastModified (whole seconds): an orphan older than the grace goes, a younger one and
    every object a row points at stay."""
    import time
    from datetime import UTC, datetime, timedelta

    from edoc.files.service import get_store, sweep_orphans

    login(client, "chuyenvien")
    kept = _upload(app, client, PDF)
    with app.app_context():
        store = get_store()
        old = store.put(io.BytesIO(b"old orphan")).key
        time.sleep(3.1)
        before_fresh = datetime.now(UTC)
        fresh = store.put(io.BytesIO(b"fresh orphan")).key
        # 2.5 s back from just before the fresh put: the old orphan is past it even with its time truncated to the
        # second; the fresh one, truncated, is at most 1 s before it, however long the sweep takes to come.
        assert sweep_orphans(grace=timedelta(seconds=2.5), now=before_fresh) == [old]
        assert sweep_orphans() == []  # the default hour spares both
    names = {o.object_name for o in _minio(s3_server).list_objects(settings_env["EDOC_S3_BUCKET"], recursive=True)}
    assert old not in names and {fresh, kept.key} <= names
    assert client.get(f"/files/{kept.id}").data == PDF


@pytest.fixture
def own_s3(tmp_path):
    """An S3 server of this test's own, which it may stop (the session's is shared)."""
    from tests.support.seaweed import seaweed

    with seaweed(tmp_path / "own-weed") as server:
        yield server


def test_an_s3_outage_during_an_upload_is_a_503_and_leaves_no_row(request, backend, own_s3):
    from edoc.audit.models import AuditEntry

    request.getfixturevalue("settings_env")["EDOC_S3_ENDPOINT"] = own_s3.endpoint
    app = request.getfixturevalue("app")
    request.getfixturevalue("demo")
    client = app.test_client()
    login(client, "chuyenvien")
    with app.app_context():
        files = db.session.execute(select(func.count()).select_from(StoredFile)).scalar_one()
        entries = db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    token = csrf_token(client, "/files/")
    own_s3.stop()
    page = client.post("/files/", data={"csrf_token": token, "file": (io.BytesIO(PDF), "báo cáo.pdf")},
                       content_type="multipart/form-data")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "Kho lưu trữ tệp tạm thời không ghi được, tệp chưa được lưu" in page.get_data(as_text=True)
    api = app.test_client().post("/api/v1/uploads/bao-cao.pdf", data=PDF, headers=_api(app, "chuyenvien"))
    assert api.status_code == 503 and api.json["error"]["code"] == "storage_unavailable"
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(StoredFile)).scalar_one() == files
        # One more entry: the API token made for the second attempt; none of an upload.
        assert db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == entries + 1
        assert "file.upload" not in db.session.execute(select(AuditEntry.action)).scalars().all()
