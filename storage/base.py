"""The object-store interface, its errors and the key rules. No Flask, no database: usable on its own."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO
from urllib.parse import quote

# 1 MiB: large enough that hashlib (which drops the GIL above 2 KiB) and the write calls dominate the
# per-chunk Python overhead, small enough to keep memory flat.
CHUNK = 1 << 20
MAX_KEY_LENGTH = 1024  # S3's limit, in UTF-8 bytes; the local store keeps the same rule so keys move freely
_PREFIX = re.compile(r"[a-z0-9-]+(/[a-z0-9-]+)*")


class StorageError(Exception):
    """Base of every storage failure."""


class StorageUnavailable(StorageError):
    """Unreachable store, rejected credentials or bad configuration; the message names the setting."""


class ObjectTooLarge(StorageError):
    """``put`` went past ``max_size``; nothing was left behind in the store."""


class IntegrityMismatch(StorageError):
    """The bytes read back do not have the SHA-256 they were stored with."""


class ObjectNotFound(StorageError):
    """No object under that key."""


class InvalidKey(StorageError, ValueError):
    """A key or prefix that the store would never have made: a programming error, not a user error."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    sha256: str  # hex
    size: int


@dataclass(frozen=True)
class ListedObject:
    """One entry of a listing: enough to decide whether an object no row points at is old enough to remove."""

    key: str
    size: int
    modified: datetime
    """When the object was last written, timezone-aware UTC: the file's mtime, or S3's LastModified (whole
    seconds on most servers)."""


def new_key(prefix: str = "files") -> str:
    """``prefix/yyyy/mm/<uuid4 hex>``: made by the store alone, so no user input can steer where bytes land.

    The year and month keep listings and backups browsable; the UUID makes keys unguessable and unique.
    """
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise InvalidKey(f"invalid key prefix {prefix!r}: use lower-case letters, digits, '-' and '/' between them")
    now = datetime.now(UTC)
    return f"{prefix}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}"


def check_key(key: str) -> str:
    """Refuse keys no store would make (absolute, '..', backslashes, control characters, empty segments).

    Both stores apply the same rule so a key means the same thing everywhere; the local store then also
    checks that the resolved path stays under its root (symlinks).
    """
    if not isinstance(key, str) or not key or len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_LENGTH:
        raise InvalidKey(f"invalid key {key!r}")
    if key.startswith("/") or "\\" in key or any(ord(c) < 0x20 or c == "\x7f" for c in key):
        raise InvalidKey(f"invalid key {key!r}")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidKey(f"invalid key {key!r}")
    return key


def remaining_length(stream: BinaryIO) -> int | None:
    """Bytes left in a seekable stream (uploaded files are usually spooled to disk), else None.

    Only used to refuse an oversized upload before sending anything; the streamed count stays authoritative.
    """
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return max(end - here, 0)


def too_large(max_size: int) -> ObjectTooLarge:
    return ObjectTooLarge(f"object larger than the limit of {max_size} bytes")


def checked_chunks(chunks: Iterator[bytes], expected_sha256: str | None, key: str) -> Iterator[bytes]:
    """Pass chunks through; with ``expected_sha256``, raise ``IntegrityMismatch`` after the last one if the
    digest differs, so a streaming response can be cut short instead of completing with wrong bytes."""
    if expected_sha256 is None:
        # Hashing costs about a third of a local-network download: only pay for it when asked to check.
        yield from chunks
        return
    digest = hashlib.sha256()
    try:
        for chunk in chunks:
            digest.update(chunk)
            yield chunk
    finally:
        # A reader that stops early (a client that went away) must release the file or connection now.
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    actual = digest.hexdigest()
    if actual != expected_sha256.lower():
        raise IntegrityMismatch(f"{key}: SHA-256 of the stored bytes is {actual}, expected {expected_sha256}")


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """RFC 6266 header value: an ASCII fallback for old clients plus the exact UTF-8 name (RFC 5987)."""
    name = unicodedata.normalize("NFC", os.path.basename(filename.replace("\\", "/")))
    # NFKD strips Vietnamese tone marks, but đ/Đ have no decomposition and would otherwise vanish.
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_name = "".join(c for c in folded if 0x20 <= ord(c) < 0x7F and c not in '"\\') or "download"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


class ObjectStore(ABC):
    """Put a stream and get back its key, SHA-256 and size; stream it back, checked; short-lived URL;
    exists; delete; list keys and objects with their time (for the orphan sweep); check reachability at start-up."""

    @abstractmethod
    def put(self, stream: BinaryIO, *, media_type: str = "application/octet-stream",
            max_size: int | None = None, prefix: str = "files") -> StoredObject:
        """Store the stream's bytes (read in chunks, never whole) under a new key made from ``prefix``.

        Raises ``ObjectTooLarge`` past ``max_size`` (leaving nothing behind) and ``InvalidKey`` for a bad prefix.
        """

    @abstractmethod
    def open(self, key: str, *, expected_sha256: str | None = None, chunk_size: int = CHUNK) -> Iterator[bytes]:
        """Stream the object. ``ObjectNotFound`` is raised by the call itself (before the first chunk);
        with ``expected_sha256`` a mismatch raises ``IntegrityMismatch`` after the last chunk. Iterate the result
        to its end or close it: it holds an open file or connection."""

    def read_bytes(self, key: str, *, expected_sha256: str | None = None) -> bytes:
        """Whole object in memory: for small objects only."""
        return b"".join(self.open(key, expected_sha256=expected_sha256))

    def open_verified(self, key: str, *, expected_sha256: str, spool_dir: str | None = None) -> BinaryIO:
        """A file positioned at the start whose whole content has already been checked against
        ``expected_sha256``: ``IntegrityMismatch`` (or ``ObjectNotFound``) is raised before anything is returned,
        so a caller can refuse a damaged object before sending its first byte.

        This default spools the object into an anonymous temporary file (in ``spool_dir``, or the system's) while
        hashing it: memory stays at one chunk whatever the size; the cost is one local write and read. The caller
        closes the file, which removes it.
        """
        spool = tempfile.TemporaryFile(dir=spool_dir)
        try:
            for chunk in self.open(key, expected_sha256=expected_sha256):
                spool.write(chunk)
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        return spool  # type: ignore[return-value]

    @abstractmethod
    def url(self, key: str, *, expires: timedelta, filename: str | None = None,
            media_type: str | None = None) -> str | None:
        """A short-lived download URL, or None where the store has none (the app streams instead)."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""

    def partial_uploads(self) -> Iterator[ListedObject]:
        """Unfinished writes a killed process left behind, with their size and last write, for the sweep.

        None by default: an S3 server keeps no object of a multipart upload that was not completed (its parts
        are the bucket lifecycle rule's, AbortIncompleteMultipartUpload, to expire)."""
        return iter(())

    def delete_partial(self, name: str) -> None:
        """Remove an unfinished write listed by ``partial_uploads``."""
        raise InvalidKey(f"{name!r}: this store keeps no partial uploads")

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key starting with ``prefix`` (a plain string prefix, not a folder)."""
        return (listed.key for listed in self.objects(prefix))

    @abstractmethod
    def objects(self, prefix: str = "") -> Iterator[ListedObject]:
        """Every object whose key starts with ``prefix``, with its size and last-modified time, lazily (a store
        may hold millions). An object deleted while the listing runs may or may not appear."""

    @abstractmethod
    def check(self) -> None:
        """Reach the store and prove it writable; raise ``StorageUnavailable`` naming the setting at fault."""
