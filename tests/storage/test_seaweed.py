"""The SeaweedFS launcher itself: a real S3 each time, on its own ports, and nothing left running after it."""

from __future__ import annotations

import io
import os
import socket

import pytest
from minio.error import S3Error

from tests.support.seaweed import seaweed, start_seaweed

pytestmark = pytest.mark.s3


def _listening(endpoint: str) -> bool:
    host, port = endpoint.split(":")
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, int(port))) == 0


def _gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)  # the whole process group (weed and anything it started)
    except ProcessLookupError:
        return True
    return False


def test_starts_and_stops_repeatedly_without_leaking(tmp_path):
    seen = []
    for round_ in range(3):
        with seaweed(tmp_path / f"weed-{round_}") as server:
            client = server.minio()
            client.make_bucket("launcher")
            client.put_object("launcher", "k", io.BytesIO(b"round"), 5)
            assert client.get_object("launcher", "k").read() == b"round"
            seen.append((server.endpoint, server.process.pid, server.socket_dir))
        assert not server.alive() and _gone(server.process.pid)
        assert not _listening(server.endpoint)
        assert server.socket_dir is not None and not server.socket_dir.exists()
    assert len({endpoint for endpoint, _, _ in seen}) == 3


def test_two_servers_side_by_side(tmp_path):
    first = start_seaweed(tmp_path / "a")
    try:
        second = start_seaweed(tmp_path / "b")
        try:
            assert first.endpoint != second.endpoint
            assert not set(first.ports.values()) & set(second.ports.values())
            first.minio().make_bucket("only-in-first")
            assert [b.name for b in second.minio().list_buckets()] == []
        finally:
            second.stop()
        assert first.minio().bucket_exists("only-in-first")  # stopping one does not touch the other
    finally:
        first.stop()
        first.stop()  # idempotent
    assert _gone(first.process.pid) and _gone(second.process.pid)


def test_credentials_are_enforced(s3_server):
    from minio import Minio

    wrong = Minio(s3_server.endpoint, access_key=s3_server.access_key, secret_key="not-the-secret", secure=False)
    with pytest.raises(S3Error) as refused:
        wrong.list_buckets()
    assert refused.value.code == "SignatureDoesNotMatch"
