"""The embedded default: objects are files in a folder. Writes land in a temporary file, then an atomic rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from storage.base import (
    CHUNK,
    HashingReader,
    InvalidKey,
    ObjectNotFound,
    ObjectStore,
    StorageUnavailable,
    StoredObject,
    new_key,
    verified,
)


class LocalStore(ObjectStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        if not key or key.startswith(("/", "\\")) or "\\" in key or ".." in key.split("/") or "\x00" in key:
            raise InvalidKey(f"invalid key {key!r}")
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise InvalidKey(f"key {key!r} leaves the store")
        return path

    def put(self, stream: BinaryIO, *, media_type: str = "application/octet-stream",
            max_size: int | None = None, prefix: str = "files") -> StoredObject:
        key = new_key(prefix)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        reader = HashingReader(stream, max_size)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := reader.read(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return StoredObject(key, reader.hexdigest(), reader.size)

    def open(self, key: str, *, expected_sha256: str | None = None, chunk_size: int = CHUNK) -> Iterator[bytes]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

        def chunks() -> Iterator[bytes]:
            with handle:
                while data := handle.read(chunk_size):
                    yield data

        return verified(chunks(), expected_sha256, key)

    def url(self, key: str, *, expires: timedelta, filename: str | None = None,
            media_type: str | None = None) -> str | None:
        return None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self, prefix: str = "") -> Iterator[str]:
        if not self.root.exists():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(".part-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=self.root, prefix=".part-check-", delete=True)
            probe.close()
        except OSError as exc:
            raise StorageUnavailable(f"EDOC_STORAGE_DIR {self.root} is not writable: {exc.strerror}") from None
