"""from_settings: the store the app's settings ask for, or an error that names the setting to fix."""

from __future__ import annotations

import pytest

import storage

S3 = {"s3_endpoint": "minio:9000", "s3_access_key": "edoc", "s3_secret_key": "secret", "s3_bucket": "edoc"}


def test_local(tmp_path):
    store = storage.from_settings(backend="local", local_root=tmp_path / "files")
    assert isinstance(store, storage.LocalStore) and store.root == (tmp_path / "files").resolve()
    assert not (tmp_path / "files").exists()  # nothing is touched before check()


def test_s3_is_built_without_contacting_anything():
    store = storage.from_settings(backend=" S3 ", **S3, s3_secure=False, s3_region="vn-hn-1")
    assert isinstance(store, storage.S3Store)
    assert (store.endpoint, store.bucket, store.secure, store.region) == ("minio:9000", "edoc", False, "vn-hn-1")
    assert "secret" not in repr(store)


@pytest.mark.parametrize("missing", ["s3_endpoint", "s3_access_key", "s3_secret_key", "s3_bucket"])
def test_s3_names_the_missing_setting(missing):
    settings = {**S3, missing: " "}
    with pytest.raises(storage.StorageUnavailable, match=f"EDOC_{missing.upper()} is required when EDOC_STORAGE=s3"):
        storage.from_settings(backend="s3", **settings)


def test_local_needs_a_folder():
    with pytest.raises(storage.StorageUnavailable, match="EDOC_STORAGE_DIR is required"):
        storage.from_settings(backend="local")


def test_unknown_backend_is_named():
    with pytest.raises(storage.StorageUnavailable, match="EDOC_STORAGE='gcs' is not a storage backend"):
        storage.from_settings(backend="gcs")
