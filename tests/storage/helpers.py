"""Helpers of the storage contract tests: lazily generated streams, bucket names, what a store really holds."""

from __future__ import annotations

import hashlib
import io
import random
import threading
import time
import uuid
from collections.abc import Iterable, Iterator

import storage
from tests.support.seaweed import SeaweedServer

MiB = 1 << 20


class LazyStream(io.RawIOBase):
    """A read-only stream over an iterator of chunks: holds one chunk at a time, returns short reads like a socket
    does, and can be told to fail after some bytes (a client that disconnects mid-upload)."""

    def __init__(self, chunks: Iterable[bytes], *, fail_after: int | None = None) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = memoryview(b"")
        self._fail_after = fail_after
        self.delivered = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._fail_after is not None and self.delivered >= self._fail_after:
            raise ConnectionResetError("client went away")
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self.delivered += n
        return n


def generated_chunks(size: int, *, seed: int = 1, chunk: int = MiB) -> Iterator[bytes]:
    """``size`` pseudo-random bytes, one chunk at a time; every chunk differs (a counter heads a random block),
    so a part sent twice or out of order changes the digest."""
    block = random.Random(seed).randbytes(chunk)
    for index, start in enumerate(range(0, size, chunk)):
        yield (index.to_bytes(8, "big") + block[8:])[: min(chunk, size - start)]


def generated_digest(size: int, *, seed: int = 1) -> str:
    digest = hashlib.sha256()
    for piece in generated_chunks(size, seed=seed):
        digest.update(piece)
    return digest.hexdigest()


def new_bucket() -> str:
    return f"edoc-test-{uuid.uuid4().hex[:12]}"


def s3_store_on(server: SeaweedServer, bucket: str | None = None, **overrides: object) -> storage.S3Store:
    """An S3Store on the test server with a fresh bucket; ``overrides`` replace any constructor argument."""
    settings: dict[str, object] = {"endpoint": server.endpoint, "access_key": server.access_key,
                                   "secret_key": server.secret_key, "bucket": bucket or new_bucket(), "secure": False}
    settings.update(overrides)
    return storage.S3Store(**settings)  # type: ignore[arg-type]


def leftovers(store: storage.ObjectStore) -> list[str]:
    """Everything the store holds, beyond what ``keys()`` shows: old versions and delete markers in S3,
    temporary files in the folder."""
    if isinstance(store, storage.S3Store):
        return [f"{o.object_name}@{o.version_id}{' (delete marker)' if o.is_delete_marker else ''}"
                for o in store.client.list_objects(store.bucket, recursive=True, include_version=True)]
    assert isinstance(store, storage.LocalStore)
    return sorted(p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if p.is_file())


def threads_settle_to(baseline: int, timeout: float = 3.0) -> int:
    """The thread count once finished workers have had time to exit (they end just after signalling done)."""
    deadline = time.monotonic() + timeout
    while threading.active_count() > baseline and time.monotonic() < deadline:
        time.sleep(0.02)
    return threading.active_count()
