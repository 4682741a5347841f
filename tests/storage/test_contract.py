"""One contract, two stores: every test here runs on the local folder and on S3 (a real SeaweedFS server)."""

from __future__ import annotations

import hashlib
import io
import re
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

import storage
from storage.base import new_key
from tests.storage.helpers import LazyStream, MiB, generated_chunks, generated_digest, leftovers, threads_settle_to

KEY = re.compile(r"files/(\d{4})/(\d{2})/[0-9a-f]{32}")
MEMORY_BUDGET = 64 * MiB


def test_put_then_open_round_trip(store):
    data = "Kế hoạch số 445/KH-LĐLĐ về tổ chức Đại hội Công đoàn".encode() * 2000
    stored = store.put(io.BytesIO(data), media_type="application/pdf")
    assert stored == storage.StoredObject(stored.key, hashlib.sha256(data).hexdigest(), len(data))
    assert store.read_bytes(stored.key, expected_sha256=stored.sha256) == data
    chunks = list(store.open(stored.key, chunk_size=4096, expected_sha256=stored.sha256))
    assert b"".join(chunks) == data
    assert len(chunks) > 1 and max(map(len, chunks)) <= 4096
    assert store.exists(stored.key)
    assert list(store.keys()) == [stored.key]


def test_empty_object(store):
    stored = store.put(io.BytesIO(b""))
    assert (stored.size, stored.sha256) == (0, hashlib.sha256(b"").hexdigest())
    assert store.read_bytes(stored.key, expected_sha256=stored.sha256) == b""


def test_keys_are_made_by_the_store_never_from_input(store):
    hostile = b"../../../etc/passwd\x00"
    first = store.put(io.BytesIO(hostile), media_type="../../evil")
    second = store.put(io.BytesIO(hostile), media_type="../../evil")
    now = datetime.now(UTC)
    for stored in (first, second):
        match = KEY.fullmatch(stored.key)
        assert match, stored.key
        assert match.groups() == (f"{now:%Y}", f"{now:%m}")
    assert first.key != second.key  # same bytes, same media type: still two objects
    signed = store.put(io.BytesIO(b"x"), prefix="signed-pdf/v2")
    assert re.fullmatch(r"signed-pdf/v2/\d{4}/\d{2}/[0-9a-f]{32}", signed.key)


@pytest.mark.parametrize("prefix", ["../x", "A B", "/abs", "", "files/", "files//x", "a/../b", "files\\x", "Files",
                                    "files/.", "tệp"])
def test_bad_prefixes_are_refused(store, prefix):
    with pytest.raises(storage.InvalidKey):
        store.put(io.BytesIO(b"x"), prefix=prefix)
    assert list(store.keys()) == []


@pytest.mark.parametrize("key", ["../outside", "/etc/passwd", "files/../../x", "a\\b", "files/\x00", ".", "a//b",
                                 "files/2026/", ""])
def test_keys_no_store_would_make_are_refused(store, key):
    for call in (store.exists, store.delete, store.open, store.read_bytes):
        with pytest.raises(storage.InvalidKey):
            call(key)


def test_objects_lists_size_and_last_modified(store):
    # S3's LastModified has whole seconds (truncated), and the server's clock is read, not ours: a margin of 2 s.
    before = datetime.now(UTC) - timedelta(seconds=2)
    upload = store.put(io.BytesIO(b"ba byte"))
    signed = store.put(io.BytesIO(b"s" * 1000), prefix="signed")
    after = datetime.now(UTC) + timedelta(seconds=2)
    listed = {entry.key: entry for entry in store.objects()}
    assert sorted(listed) == sorted([upload.key, signed.key])
    assert (listed[upload.key].size, listed[signed.key].size) == (7, 1000)
    for entry in listed.values():
        assert entry.modified.tzinfo is not None and entry.modified.utcoffset() == timedelta(0)
        assert before <= entry.modified <= after, entry
    assert [entry.key for entry in store.objects("signed/")] == [signed.key]
    assert list(store.objects("nothing-here/")) == []
    store.delete(upload.key)
    assert [entry.key for entry in store.objects()] == [signed.key]


def test_objects_tells_an_older_object_from_a_newer_one(store):
    first = store.put(io.BytesIO(b"first"))
    time.sleep(2.1)  # more than S3's one-second resolution
    second = store.put(io.BytesIO(b"second"))
    listed = {entry.key: entry.modified for entry in store.objects()}
    assert listed[second.key] - listed[first.key] >= timedelta(seconds=1)


def test_keys_filters_by_plain_prefix(store):
    upload = store.put(io.BytesIO(b"u")).key
    signed = store.put(io.BytesIO(b"s"), prefix="signed").key
    assert sorted(store.keys()) == sorted([upload, signed])
    assert list(store.keys("signed/")) == [signed]
    assert list(store.keys("fil")) == [upload]  # a prefix of a folder name, not only whole folders
    assert list(store.keys(upload[:-5])) == [upload]
    assert list(store.keys("nothing-here/")) == []


@pytest.mark.parametrize(
    ("make_stream", "size", "limit"),
    [
        # A seekable upload (a spooled file): refused before anything is sent.
        (lambda size: io.BytesIO(bytes(size)), 3 * MiB, 1 * MiB),
        # A stream of unknown length, over the limit within what S3 would send as a single part.
        (lambda size: LazyStream(generated_chunks(size)), 1 * MiB + 1, 1 * MiB),
        # Over the limit only after several 8 MiB parts went to S3 as a multipart upload.
        (lambda size: LazyStream(generated_chunks(size)), 30 * MiB, 20 * MiB),
    ],
    ids=["seekable", "first-part", "multipart"],
)
def test_max_size_raises_and_leaves_nothing(store, make_stream, size, limit):
    threads = threading.active_count()
    with pytest.raises(storage.ObjectTooLarge):
        store.put(make_stream(size), max_size=limit)
    assert list(store.keys()) == []
    assert leftovers(store) == []  # no old version, no delete marker, no temporary file
    assert threads_settle_to(threads) == threads  # no upload worker left waiting for ever


def test_exactly_max_size_is_accepted(store):
    stored = store.put(LazyStream(generated_chunks(9 * MiB)), max_size=9 * MiB)
    assert stored.size == 9 * MiB
    assert stored.sha256 == generated_digest(9 * MiB)


class _FailingFile(io.BytesIO):
    """A seekable source (its length is known up front) whose disk fails part-way through."""

    def __init__(self, data: bytes, fail_at: int) -> None:
        super().__init__(data)
        self._fail_at = fail_at

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self._fail_at:
            raise OSError(5, "Input/output error")
        return super().read(size)


@pytest.mark.parametrize("seekable", [False, True], ids=["stream", "seekable"])
def test_failing_source_leaves_nothing(store, seekable):
    threads = threading.active_count()
    if seekable:
        stream: io.IOBase = _FailingFile(b"".join(generated_chunks(40 * MiB)), fail_at=20 * MiB)
        expected: type[Exception] = OSError
    else:
        stream = LazyStream(generated_chunks(40 * MiB), fail_after=20 * MiB)
        expected = ConnectionResetError
    with pytest.raises(expected):  # the caller's own error, not disguised as a storage failure
        store.put(stream)  # type: ignore[arg-type]
    assert list(store.keys()) == [] and leftovers(store) == []
    assert threads_settle_to(threads) == threads


def test_missing_object_and_idempotent_delete(store):
    key = new_key("files")
    assert not store.exists(key)
    with pytest.raises(storage.ObjectNotFound):
        store.open(key)  # raised by the call itself, before a response could start streaming
    with pytest.raises(storage.ObjectNotFound):
        store.read_bytes(key)
    store.delete(key)
    stored = store.put(io.BytesIO(b"x"))
    store.delete(stored.key)
    store.delete(stored.key)
    assert not store.exists(stored.key)
    assert list(store.keys()) == []
    with pytest.raises(storage.ObjectNotFound):
        store.read_bytes(stored.key)


def _tamper(store: storage.ObjectStore, key: str, data: bytes) -> None:
    """Change the bytes behind the store's back: on disk, or through the bare SDK."""
    if isinstance(store, storage.LocalStore):
        (store.root / key).write_bytes(data)
    else:
        assert isinstance(store, storage.S3Store)
        store.client.put_object(store.bucket, key, io.BytesIO(data), len(data))


def test_integrity_mismatch_is_raised_after_the_last_chunk(store):
    original = b"Quyet dinh so 12/QD-UBND " * 20_000
    stored = store.put(io.BytesIO(original))
    tampered = original.replace(b"12/", b"13/", 1)
    _tamper(store, stored.key, tampered)
    received = []
    with pytest.raises(storage.IntegrityMismatch, match=stored.sha256):
        for chunk in store.open(stored.key, expected_sha256=stored.sha256, chunk_size=64 * 1024):
            received.append(chunk)
    # Every chunk went out before the mismatch was known: a streaming view must cut the response at the end.
    assert b"".join(received) == tampered
    with pytest.raises(storage.IntegrityMismatch):
        store.read_bytes(stored.key, expected_sha256=stored.sha256)
    assert store.read_bytes(stored.key) == tampered  # without a digest nothing is claimed


def test_open_verified_refuses_a_tampered_object_before_returning_anything(store, tmp_path):
    original = b"Quyet dinh so 12/QD-UBND " * 20_000
    spool = tmp_path / "spool"
    spool.mkdir()
    stored = store.put(io.BytesIO(original))
    with store.open_verified(stored.key, expected_sha256=stored.sha256, spool_dir=str(spool)) as good:
        assert good.read() == original
    _tamper(store, stored.key, original.replace(b"12/", b"13/", 1))
    with pytest.raises(storage.IntegrityMismatch, match=stored.sha256):
        store.open_verified(stored.key, expected_sha256=stored.sha256, spool_dir=str(spool))
    with pytest.raises(storage.ObjectNotFound):
        store.open_verified(new_key(), expected_sha256=stored.sha256, spool_dir=str(spool))
    assert list(spool.iterdir()) == []  # a spooled copy is anonymous: nothing is left behind, even on refusal


def test_concurrent_puts_from_threads(store):
    payloads = [f"văn bản {i}".encode() * (i * 5000 + 1) for i in range(12)]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda data: store.put(io.BytesIO(data)), payloads))
    assert len({r.key for r in results}) == len(payloads)
    for data, stored in zip(payloads, results, strict=True):
        assert store.read_bytes(stored.key, expected_sha256=stored.sha256) == data


@pytest.mark.slow
@pytest.mark.parametrize("source", ["stream", "file"])
def test_100_mb_goes_through_bounded_memory(store, source, tmp_path):
    size = 100 * MiB
    if source == "file":  # seekable, so the store knows the length in advance (a spooled web upload)
        path = tmp_path / "upload.bin"
        with path.open("wb") as out:
            for chunk in generated_chunks(size):
                out.write(chunk)
    tracemalloc.start()
    try:
        with (path.open("rb") if source == "file" else LazyStream(generated_chunks(size))) as stream:
            baseline = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            stored = store.put(stream)
            upload_peak = tracemalloc.get_traced_memory()[1] - baseline
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        for chunk in store.open(stored.key, expected_sha256=stored.sha256):
            digest.update(chunk)
        download_peak = tracemalloc.get_traced_memory()[1] - baseline
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        with store.open_verified(stored.key, expected_sha256=stored.sha256, spool_dir=str(tmp_path)) as verified:
            verified_size = verified.seek(0, io.SEEK_END)
        verified_peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert stored.size == size and stored.sha256 == generated_digest(size) == digest.hexdigest()
    # tracemalloc counts every Python buffer (ours, the SDK's, urllib3's), whatever earlier tests did to RSS.
    assert upload_peak < MEMORY_BUDGET, f"upload of 100 MB peaked at {upload_peak / MiB:.0f} MB"
    assert download_peak < 8 * MiB, f"download of 100 MB peaked at {download_peak / MiB:.0f} MB"
    assert verified_size == size
    assert verified_peak < 8 * MiB, f"verified open of 100 MB peaked at {verified_peak / MiB:.0f} MB"


def test_check_leaves_nothing_and_can_repeat(store):
    store.check()
    store.check()
    assert list(store.keys()) == [] and leftovers(store) == []
