"""The object-store interface and its errors. No Flask, no database: usable on its own."""

from __future__ import annotations

import hashlib
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

CHUNK = 1 << 20
_PREFIX = re.compile(r"^[a-z0-9-]+(/[a-z0-9-]+)*$")


class StorageError(Exception):
    """Base of every storage failure."""


class StorageUnavailable(StorageError):
    """Unreachable store, rejected credentials or bad configuration; the message names the setting."""


class ObjectTooLarge(StorageError):
    """``put`` went past ``max_size``; nothing was left behind."""


class IntegrityMismatch(StorageError):
    """The bytes read back are not the bytes that were stored."""


class ObjectNotFound(StorageError):
    pass


class InvalidKey(StorageError):
    pass


@dataclass(frozen=True)
class StoredObject:
    key: str
    sha256: str
    size: int


def new_key(prefix: str) -> str:
    """A key made by the store alone: ``prefix/yyyy/mm/<uuid>``. No user input ever reaches it."""
    if not _PREFIX.match(prefix):
        raise InvalidKey(f"invalid key prefix {prefix!r}")
    now = datetime.now(UTC)
    return f"{prefix}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}"


class HashingReader:
    """Wraps a stream: counts and hashes what is read through it, and stops at ``max_size``."""

    def __init__(self, stream: BinaryIO, max_size: int | None) -> None:
        self._stream = stream
        self._max = max_size
        self._hash = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n if n is not None and n >= 0 else CHUNK * 8)
        if data:
            self.size += len(data)
            if self._max is not None and self.size > self._max:
                raise ObjectTooLarge(f"object larger than {self._max} bytes")
            self._hash.update(data)
        return data

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def verified(chunks: Iterator[bytes], expected_sha256: str | None, key: str) -> Iterator[bytes]:
    """Pass chunks through; at the end raise ``IntegrityMismatch`` if their digest is not the expected one."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
        yield chunk
    if expected_sha256 is not None and digest.hexdigest() != expected_sha256:
        raise IntegrityMismatch(f"{key}: SHA-256 {digest.hexdigest()} != stored {expected_sha256}")


class ObjectStore(ABC):
    """Put a stream and get back its key, SHA-256 and size; open for streaming; short-lived URL; exists; delete."""

    @abstractmethod
    def put(self, stream: BinaryIO, *, media_type: str = "application/octet-stream",
            max_size: int | None = None, prefix: str = "files") -> StoredObject: ...

    @abstractmethod
    def open(self, key: str, *, expected_sha256: str | None = None, chunk_size: int = CHUNK) -> Iterator[bytes]:
        """Stream the object; with ``expected_sha256`` a mismatch raises at the end of the stream."""

    def read_bytes(self, key: str, *, expected_sha256: str | None = None) -> bytes:
        return b"".join(self.open(key, expected_sha256=expected_sha256))

    @abstractmethod
    def url(self, key: str, *, expires: timedelta, filename: str | None = None,
            media_type: str | None = None) -> str | None:
        """A short-lived download URL, or None where the store has none (the app streams instead)."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Idempotent."""

    @abstractmethod
    def keys(self, prefix: str = "") -> Iterator[str]: ...

    @abstractmethod
    def check(self) -> None:
        """Reach the store once (at start-up); raise ``StorageUnavailable`` naming the setting."""
