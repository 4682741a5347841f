"""Fixtures of the storage contract: the same tests run on the local folder and on a real S3 (SeaweedFS).

The session's S3 server is the suite's ``s3_server`` fixture (tests/conftest.py, built on tests/support/seaweed.py);
every S3 test gets a bucket of its own, so tests never see each other's objects.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from minio import Minio

import storage
from tests.storage.helpers import s3_store_on


@pytest.fixture
def minio_admin(s3_server) -> Minio:
    """The bare SDK on the same server: to look at, or tamper with, what the store wrote."""
    return Minio(s3_server.endpoint, access_key=s3_server.access_key, secret_key=s3_server.secret_key, secure=False)


@pytest.fixture
def s3_store(s3_server) -> storage.S3Store:
    store = s3_store_on(s3_server)
    store.check()
    return store


@pytest.fixture
def local_store(tmp_path: Path) -> storage.LocalStore:
    store = storage.LocalStore(tmp_path / "objects")
    store.check()
    return store


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest) -> storage.ObjectStore:
    return request.getfixturevalue(f"{request.param}_store")
