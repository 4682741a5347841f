"""The embedded default: objects are files in a folder.

A write lands in a temporary file beside its final name, is flushed to disk, then renamed into place, so a
reader (or a crash) never sees half an object under a real key.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from storage.base import (
    CHUNK,
    IntegrityMismatch,
    InvalidKey,
    ListedObject,
    ObjectNotFound,
    ObjectStore,
    StorageUnavailable,
    StoredObject,
    check_key,
    checked_chunks,
    new_key,
    remaining_length,
    too_large,
)

# Temporary files carry this prefix; keys() never lists them. A killed process leaves one behind: the sweep takes
# it (partial_uploads, delete_partial) once it is as old as an orphan must be.
PARTIAL = ".part-"


class LocalStore(ObjectStore):
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        check_key(key)
        if key.rsplit("/", 1)[-1].startswith(PARTIAL):
            raise InvalidKey(f"invalid key {key!r}")
        path = (self.root / key).resolve()
        # check_key already refuses '..'; this catches a symlink inside the store that points out of it.
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidKey(f"key {key!r} leaves the store")
        return path

    def put(self, stream: BinaryIO, *, media_type: str = "application/octet-stream",
            max_size: int | None = None, prefix: str = "files") -> StoredObject:
        key = new_key(prefix)
        if max_size is not None and (known := remaining_length(stream)) is not None and known > max_size:
            raise too_large(max_size)
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=PARTIAL)
        except OSError as exc:
            raise self._unwritable(exc) from None
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):  # errors of the source stream propagate as they are
                    size += len(chunk)
                    if max_size is not None and size > max_size:
                        raise too_large(max_size)
                    digest.update(chunk)
                    try:
                        out.write(chunk)
                    except OSError as exc:
                        raise self._unwritable(exc) from None
                try:
                    out.flush()
                    # An official document acknowledged to the user must survive a power cut.
                    os.fsync(out.fileno())
                except OSError as exc:
                    raise self._unwritable(exc) from None
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
        return StoredObject(key, digest.hexdigest(), size)

    def _unwritable(self, exc: OSError) -> StorageUnavailable:
        return StorageUnavailable(f"EDOC_STORAGE_DIR {self.root} is not writable: {exc.strerror or exc}")

    def open(self, key: str, *, expected_sha256: str | None = None, chunk_size: int = CHUNK) -> Iterator[bytes]:
        path = self._path(key)
        try:
            handle = path.open("rb", buffering=0)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

        def chunks() -> Iterator[bytes]:
            with handle:
                while data := handle.read(chunk_size):
                    yield data

        return checked_chunks(chunks(), expected_sha256, key)

    def open_verified(self, key: str, *, expected_sha256: str, spool_dir: str | None = None) -> BinaryIO:
        """The object's own file, hashed through once, then rewound: no copy is needed, the bytes are already
        local. Objects are never rewritten in place (a put renames a new file into place), so what was hashed
        through this handle is what it reads again."""
        path = self._path(key)
        try:
            handle = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None
        try:
            digest = hashlib.sha256()
            while data := handle.read(CHUNK):
                digest.update(data)
            if digest.hexdigest() != expected_sha256.lower():
                raise IntegrityMismatch(f"{key}: SHA-256 of the stored bytes is {digest.hexdigest()}, "
                                        f"expected {expected_sha256}")
            handle.seek(0)
        except BaseException:
            handle.close()
            raise
        return handle

    def url(self, key: str, *, expires: timedelta, filename: str | None = None,
            media_type: str | None = None) -> str | None:
        return None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except IsADirectoryError:
            pass  # a folder is not an object: there is nothing under this key to delete

    def keys(self, prefix: str = "") -> Iterator[str]:
        # Names only: no stat() per file, unlike objects().
        return (key for key, _path in self._walk(prefix))

    def objects(self, prefix: str = "") -> Iterator[ListedObject]:
        for key, path in self._walk(prefix):
            try:
                info = path.stat()
            except FileNotFoundError:
                continue  # deleted since the folder was read
            yield ListedObject(key, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))

    def _walk(self, prefix: str) -> Iterator[tuple[str, Path]]:
        # Walk only the folder the prefix points into, lazily: the sweep may run over millions of files.
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        if folder:
            try:
                check_key(folder)
            except InvalidKey:
                return
        start = self.root / folder if folder else self.root
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            base = Path(dirpath).relative_to(self.root).as_posix()
            for name in sorted(filenames):
                if name.startswith(PARTIAL):
                    continue
                key = name if base == "." else f"{base}/{name}"
                if key.startswith(prefix):
                    yield key, Path(dirpath) / name

    def partial_uploads(self) -> Iterator[ListedObject]:
        """The temporary files of writes that never finished (the process was killed between mkstemp and the
        rename), anywhere in the store, named by their path under the root. A write in progress keeps its
        file's modification time fresh, so the sweep's age grace spares it."""
        for dirpath, _dirnames, filenames in os.walk(self.root):
            base = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                if not name.startswith(PARTIAL):
                    continue
                try:
                    info = (Path(dirpath) / name).stat()
                except FileNotFoundError:
                    continue  # the write finished (renamed) or failed (removed) since the folder was read
                yield ListedObject(name if base == "." else f"{base}/{name}", info.st_size,
                                   datetime.fromtimestamp(info.st_mtime, UTC))

    def delete_partial(self, name: str) -> None:
        path = (self.root / name).resolve()
        if not path.name.startswith(PARTIAL) or not path.is_relative_to(self.root):
            raise InvalidKey(f"{name!r} is not a partial upload of this store")
        path.unlink(missing_ok=True)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=PARTIAL + "check-") as probe:
                probe.write(b"edoc")
                probe.flush()
        except OSError as exc:
            raise self._unwritable(exc) from None


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (ext4 and XFS may otherwise lose it on a crash)."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the data itself is already on disk
    finally:
        os.close(fd)
