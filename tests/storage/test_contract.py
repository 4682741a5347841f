"""One contract, two stores: the local folder and S3 (a real SeaweedFS server)."""

from __future__ import annotations

import hashlib
import io
import resource
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from minio import Minio

import storage
from storage.base import new_key
from tests.support.streams import Generated


def _bucket() -> str:
    return f"edoc-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path: Path) -> storage.ObjectStore:
    if request.param == "local":
        return storage.LocalStore(tmp_path / "objects")
    server = request.getfixturevalue("s3_server")
    s3 = storage.S3Store(endpoint=server.endpoint, access_key=server.access_key, secret_key=server.secret_key,
                         bucket=_bucket(), secure=False)
    s3.check()
    return s3


def test_put_open_round_trip(store):
    data = "Kế hoạch 445/KH-LĐLĐ".encode() * 1000
    stored = store.put(io.BytesIO(data), media_type="application/pdf")
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    assert store.read_bytes(stored.key, expected_sha256=stored.sha256) == data
    assert b"".join(store.open(stored.key, chunk_size=1000)) == data
    assert store.exists(stored.key)
    assert list(store.keys("files/")) == [stored.key]


def test_keys_are_made_by_the_store(store):
    first = store.put(io.BytesIO(b"a"))
    second = store.put(io.BytesIO(b"a"))
    assert first.key != second.key and first.key.startswith("files/")
    for prefix in ("../x", "A B", "/abs", "files/../../etc", ""):
        with pytest.raises(storage.InvalidKey):
            store.put(io.BytesIO(b"x"), prefix=prefix)
    assert new_key("signed-pdf").startswith("signed-pdf/")


def test_empty_object(store):
    stored = store.put(io.BytesIO(b""))
    assert stored.size == 0 and store.read_bytes(stored.key) == b""


def test_max_size_leaves_nothing_behind(store):
    with pytest.raises(storage.ObjectTooLarge):
        store.put(io.BufferedReader(Generated(3 * 1024 * 1024)), max_size=1024 * 1024)
    assert list(store.keys()) == []


def test_missing_object(store):
    key = new_key("files")
    assert not store.exists(key)
    with pytest.raises(storage.ObjectNotFound):
        b"".join(store.open(key))
    store.delete(key)  # idempotent
    stored = store.put(io.BytesIO(b"x"))
    store.delete(stored.key)
    store.delete(stored.key)
    assert not store.exists(stored.key)


def test_integrity_mismatch_is_detected(store, tmp_path):
    stored = store.put(io.BytesIO(b"original bytes" * 100))
    if isinstance(store, storage.LocalStore):
        (store.root / stored.key).write_bytes(b"tampered bytes" * 100)
    else:
        store.client.put_object(store.bucket, stored.key, io.BytesIO(b"tampered bytes" * 100), 1400)
    with pytest.raises(storage.IntegrityMismatch):
        store.read_bytes(stored.key, expected_sha256=stored.sha256)
    assert store.read_bytes(stored.key) == b"tampered bytes" * 100  # without a digest nothing is claimed


@pytest.mark.slow
def test_100_mb_is_streamed_with_bounded_memory(store):
    size = 100 * 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stored = store.put(io.BufferedReader(Generated(size), buffer_size=1 << 20))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert stored.size == size
    # The S3 store holds one 8 MiB part at a time (plus the SDK's copy for signing); never the 100 MB.
    assert grown_mb < 64, f"peak RSS grew by {grown_mb:.0f} MB for a 100 MB upload"
    digest = hashlib.sha256()
    for chunk in store.open(stored.key, expected_sha256=stored.sha256):
        digest.update(chunk)
    assert digest.hexdigest() == stored.sha256


def test_presigned_url(store):
    stored = store.put(io.BytesIO(b"%PDF-1.7 presigned"), media_type="application/pdf")
    url = store.url(stored.key, expires=timedelta(seconds=60), filename="Kế hoạch.pdf", media_type="application/pdf")
    if isinstance(store, storage.LocalStore):
        assert url is None  # the app streams local files through an access-checked view
        return
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"%PDF-1.7 presigned"
        assert response.headers["Content-Type"] == "application/pdf"
        assert "K%E1%BA%BF" in response.headers["Content-Disposition"]
    forged = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(forged, timeout=10)


def test_local_store_refuses_keys_that_leave_it(tmp_path):
    local = storage.LocalStore(tmp_path / "objects")
    for key in ("../outside", "/etc/passwd", "files/../../x", "a\\b", "files/\x00"):
        with pytest.raises(storage.InvalidKey):
            local.exists(key)


def test_unwritable_local_root_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(storage.StorageUnavailable, match="EDOC_STORAGE_DIR"):
        storage.LocalStore(blocker / "objects").check()


def test_s3_bucket_created_with_versioning(s3_server):
    bucket = _bucket()
    s3 = storage.S3Store(endpoint=s3_server.endpoint, access_key=s3_server.access_key,
                         secret_key=s3_server.secret_key, bucket=bucket, secure=False)
    s3.check()
    client = Minio(s3_server.endpoint, access_key=s3_server.access_key, secret_key=s3_server.secret_key,
                   secure=False)
    assert client.bucket_exists(bucket)
    assert client.get_bucket_versioning(bucket).status == "Enabled"


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"secret_key": "wrong-secret"}, "EDOC_S3_SECRET_KEY"),
        ({"access_key": "nobody"}, "EDOC_S3_ACCESS_KEY"),
        ({"bucket": "Bad_Bucket!"}, "EDOC_S3_BUCKET"),
        ({"endpoint": "127.0.0.1:1"}, "EDOC_S3_ENDPOINT"),
    ],
)
def test_s3_bad_settings_are_named(s3_server, overrides, named):
    settings = {"endpoint": s3_server.endpoint, "access_key": s3_server.access_key,
                "secret_key": s3_server.secret_key, "bucket": _bucket(), "secure": False, **overrides}
    with pytest.raises(storage.StorageUnavailable, match=named):
        storage.S3Store(**settings).check()
