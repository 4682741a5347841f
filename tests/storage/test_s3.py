"""What only the S3 store does: presigned URLs, the versioned bucket it creates, the settings it names."""

from __future__ import annotations

import io
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from minio.commonconfig import ENABLED

import storage
from tests.storage.helpers import new_bucket, s3_store_on
from tests.support.components import free_port

pytestmark = pytest.mark.s3
# Loopback only: never through a proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def test_presigned_url_serves_the_bytes_with_name_and_type(s3_store):
    stored = s3_store.put(io.BytesIO(b"%PDF-1.7 presigned"), media_type="application/octet-stream")
    url = s3_store.url(stored.key, expires=timedelta(seconds=60), filename="Công văn Đồng Nai.pdf",
                       media_type="application/pdf")
    with _DIRECT.open(url, timeout=10) as response:
        assert response.read() == b"%PDF-1.7 presigned"
        assert response.headers["Content-Type"] == "application/pdf"
        disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Cong van Dong Nai.pdf"')
    assert "filename*=UTF-8''C%C3%B4ng%20v%C4%83n%20%C4%90%E1%BB%93ng%20Nai.pdf" in disposition
    other = stored.key[:-1] + ("1" if stored.key.endswith("0") else "0")
    forged = url.replace(f"/{stored.key}?", f"/{other}?")  # another object under the same signature
    with pytest.raises(urllib.error.HTTPError) as refused:
        _DIRECT.open(forged, timeout=10)
    assert refused.value.code == 403


def test_presigned_url_is_signed_for_the_public_address(s3_server):
    port = s3_server.endpoint.rsplit(":", 1)[1]
    # "localhost" stands for the browser-reachable name; the store itself talks to 127.0.0.1.
    store = s3_store_on(s3_server, public_url=f"http://localhost:{port}")
    stored = store.put(io.BytesIO(b"public address"))
    url = store.url(stored.key, expires=timedelta(seconds=60))
    assert url.startswith(f"http://localhost:{port}/{store.bucket}/{stored.key}?")
    with _DIRECT.open(url, timeout=10) as response:
        assert response.read() == b"public address"
    # Signed for the public host: the same query on the internal address does not pass.
    with pytest.raises(urllib.error.HTTPError) as refused:
        _DIRECT.open(url.replace("localhost", "127.0.0.1", 1), timeout=10)
    assert refused.value.code == 403


@pytest.mark.parametrize("public_url", ["files.example.vn", "ftp://files.example.vn", "https://example.vn/s3",
                                        "https://"])
def test_a_bad_public_address_is_named(s3_server, public_url):
    with pytest.raises(storage.StorageUnavailable, match="EDOC_S3_PUBLIC_URL"):
        s3_store_on(s3_server, public_url=public_url)


def test_presigned_url_expires(s3_store):
    stored = s3_store.put(io.BytesIO(b"short-lived"))
    url = s3_store.url(stored.key, expires=timedelta(seconds=1))
    with _DIRECT.open(url, timeout=10) as response:
        assert response.read() == b"short-lived"
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as refused:
        _DIRECT.open(url, timeout=10)
    assert refused.value.code == 403


def test_check_creates_the_bucket_with_versioning(s3_server, minio_admin):
    bucket = new_bucket()
    store = s3_store_on(s3_server, bucket)
    assert not minio_admin.bucket_exists(bucket)  # constructing a store contacts nothing
    store.check()
    assert minio_admin.bucket_exists(bucket)
    assert minio_admin.get_bucket_versioning(bucket).status == ENABLED
    store.check()  # again, on the existing bucket: no error


def test_first_use_creates_the_bucket(s3_server, minio_admin):
    bucket = new_bucket()
    stored = s3_store_on(s3_server, bucket).put(io.BytesIO(b"first"))
    assert minio_admin.get_bucket_versioning(bucket).status == ENABLED
    assert minio_admin.get_object(bucket, stored.key).read() == b"first"


def test_versioning_keeps_a_deleted_object_recoverable(s3_store, minio_admin):
    stored = s3_store.put(io.BytesIO(b"signed original"))
    s3_store.delete(stored.key)
    assert not s3_store.exists(stored.key)
    versions = [v for v in minio_admin.list_objects(s3_store.bucket, prefix=stored.key, include_version=True)
                if not v.is_delete_marker]
    assert len(versions) == 1
    kept = minio_admin.get_object(s3_store.bucket, stored.key, version_id=versions[0].version_id)
    assert kept.read() == b"signed original"


def test_multipart_object_is_whole_on_the_server(s3_store, minio_admin):
    data = bytes(range(256)) * (100 * 1024)  # 25 MiB: four parts of 8 MiB
    stored = s3_store.put(io.BytesIO(data), media_type="application/zip")
    info = minio_admin.stat_object(s3_store.bucket, stored.key)
    assert (info.size, info.content_type) == (len(data), "application/zip")
    assert info.etag.endswith("-4")  # really uploaded as four parts
    assert minio_admin.get_object(s3_store.bucket, stored.key).read() == data


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"secret_key": "wrong-secret"}, "EDOC_S3_SECRET_KEY rejected by S3 at .* \\(SignatureDoesNotMatch\\)"),
        ({"access_key": "nobody"}, "EDOC_S3_ACCESS_KEY unknown to S3"),
        ({"bucket": "Bad_Bucket!"}, "EDOC_S3_BUCKET 'Bad_Bucket!' is not a valid bucket name"),
        ({"endpoint": "closed-port"}, "EDOC_S3_ENDPOINT 127.0.0.1:\\d+ unreachable: .*Connection refused"),
        ({"secure": True}, "EDOC_S3_ENDPOINT .*TLS failed \\(check EDOC_S3_SECURE"),
    ],
    ids=["secret-key", "access-key", "bucket", "endpoint", "secure"],
)
def test_check_names_the_setting_at_fault(s3_server, overrides, named):
    if overrides.get("endpoint") == "closed-port":
        overrides = {"endpoint": f"127.0.0.1:{free_port()}"}  # bound, then released: nothing listens there
    store = s3_store_on(s3_server, **overrides)
    started = time.monotonic()
    with pytest.raises(storage.StorageUnavailable, match=named):
        store.check()
    assert time.monotonic() - started < 10  # start-up fails fast, not after minutes of retries


def test_endpoint_with_a_scheme_is_named():
    with pytest.raises(storage.StorageUnavailable, match="EDOC_S3_ENDPOINT 'http://minio:9000' is not host:port"):
        storage.S3Store(endpoint="http://minio:9000", access_key="a", secret_key="b", bucket="edoc")


def test_every_operation_reports_an_unreachable_server(s3_server):
    store = s3_store_on(s3_server, endpoint=f"127.0.0.1:{free_port()}")
    for call in (lambda: store.put(io.BytesIO(b"x")), lambda: store.exists("files/2026/11/x"),
                 lambda: list(store.keys())):
        with pytest.raises(storage.StorageUnavailable, match="EDOC_S3_ENDPOINT"):
            call()
