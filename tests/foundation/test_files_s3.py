"""The app on the real S3 server: uploads land in the bucket, downloads go through the access check and then
a short-lived presigned URL."""

from __future__ import annotations

import io
import urllib.request
import uuid

import pytest
from minio import Minio
from sqlalchemy import select

from edoc.core.db import db
from edoc.files.models import StoredFile
from tests.support.web import csrf_token, login

PDF = b"%PDF-1.4\n" + "Công đoàn Gia Lâm".encode() * 100 + b"\n%%EOF\n"


@pytest.fixture
def settings_env(settings_env, s3_server):
    settings_env.update({"EDOC_STORAGE": "s3", "EDOC_S3_ENDPOINT": s3_server.endpoint,
                         "EDOC_S3_ACCESS_KEY": s3_server.access_key, "EDOC_S3_SECRET_KEY": s3_server.secret_key,
                         "EDOC_S3_BUCKET": f"edoc-app-{uuid.uuid4().hex[:10]}", "EDOC_S3_SECURE": "false"})
    return settings_env


def test_upload_and_presigned_download(app, client, demo, settings_env, s3_server):
    login(client, "chuyenvien")
    token = csrf_token(client, "/files/")
    response = client.post("/files/", data={"csrf_token": token, "file": (io.BytesIO(PDF), "báo cáo.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        row = db.session.execute(select(StoredFile).where(StoredFile.purpose == "upload")).scalar_one()
        key, file_id = row.key, row.id
    minio = Minio(s3_server.endpoint, access_key=s3_server.access_key, secret_key=s3_server.secret_key,
                  secure=False)
    assert minio.get_object(settings_env["EDOC_S3_BUCKET"], key).read() == PDF
    download = client.get(f"/files/{file_id}")
    assert download.status_code == 302 and "X-Amz-Signature" in download.headers["Location"]
    with urllib.request.urlopen(download.headers["Location"], timeout=10) as fetched:
        assert fetched.read() == PDF
    stranger = app.test_client()
    login(stranger, "daibieu")
    assert stranger.get(f"/files/{file_id}").status_code == 404  # no URL is handed out without the check
