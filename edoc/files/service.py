"""Storing and reading files: the bytes go to the object store first, then the row commits.

A failure after the bytes are stored deletes them again (best effort); what a crash leaves behind is at
most an orphan object, which ``edoc storage sweep`` removes. There is never a row without its bytes.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

import storage
from edoc import jobs
from edoc.audit.service import record
from edoc.core import db as database
from edoc.core.db import db
from edoc.core.errors import DomainError, NotFound, TooLarge, ValidationFailed
from edoc.core.text import has_control_chars, nfc
from edoc.files import sniff
from edoc.files.models import StoredFile
from edoc.files.policy import Person

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 255
_SPOOL_IN_MEMORY = 8 * 1024 * 1024


class StoreUnavailable(DomainError):
    """The object store cannot be reached or refuses to write: not the user's fault, and worth retrying."""

    status = 503
    code = "storage_unavailable"


STORE_WRITE_FAILED = "Kho lưu trữ tệp tạm thời không ghi được, tệp chưa được lưu. Vui lòng thử lại sau."


def get_store() -> storage.ObjectStore:
    return current_app.extensions["edoc_store"]  # type: ignore[no-any-return]


def validate_filename(raw: str | None) -> str:
    """Refuse names that try to be paths or carry control characters; they are never used as keys anyway."""
    name = nfc(raw or "") or ""
    if not name.strip():
        raise ValidationFailed("Tệp tải lên không có tên.", field="file")
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise ValidationFailed("Tên tệp không được chứa ký tự phân cách thư mục (/ hoặc \\).", field="file")
    if has_control_chars(name):
        raise ValidationFailed("Tên tệp chứa ký tự điều khiển không hợp lệ.", field="file")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(f"Tên tệp dài quá {MAX_NAME_LENGTH} ký tự.", field="file")
    return name.strip()


class _Prefixed(io.RawIOBase):
    """The sniffed head followed by the rest of a non-seekable stream, read once, without buffering the body."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _open_for_sniffing(stream: BinaryIO) -> tuple[bytes, BinaryIO]:
    """Return the head and a stream positioned at the start.

    Seekable streams (uploads Werkzeug has spooled) are rewound. A raw request body is chained after its head
    and never buffered, except for zip containers (DOCX, XLSX), whose type is only known from the parts list
    at the end of the archive: those are spooled (in memory up to 8 MB, then on disk)."""
    try:
        # Some wrappers claim seekable() and still refuse seek(); trying is the only reliable test.
        stream.seek(0)
    except (AttributeError, OSError):
        pass
    else:
        head = stream.read(sniff.HEAD_SIZE)
        stream.seek(0)
        return head, stream
    head = _read_at_least(stream, sniff.HEAD_SIZE)
    if not head.startswith(b"PK\x03\x04"):
        return head, io.BufferedReader(_Prefixed(head, stream), buffer_size=1 << 20)  # type: ignore[return-value]
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # lives as long as the upload
    spool.write(head)
    while chunk := stream.read(1 << 20):
        spool.write(chunk)
    spool.seek(0)
    return head, spool  # type: ignore[return-value]


def _read_at_least(stream: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = stream.read(size - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def store_upload(
    stream: BinaryIO,
    filename: str | None,
    *,
    uploader: Person,
    purpose: str = "upload",
    allowed: frozenset[str] | None = None,
    max_size: int | None = None,
    commit: bool = True,
) -> StoredFile:
    """Validate, store and record one uploaded file. Raises a DomainError (4xx) for bad input."""
    name = validate_filename(filename)
    head, stream = _open_for_sniffing(stream)
    media_type = sniff.check_claim(name, sniff.sniff(head, stream if head.startswith(b"PK") else None), allowed)
    limit = max_size or current_app.config["MAX_CONTENT_LENGTH"]
    try:
        stored = _put(stream, media_type=media_type, max_size=limit)
    except storage.ObjectTooLarge:
        raise TooLarge(f"Tệp “{name}” vượt quá dung lượng cho phép ({limit // (1024 * 1024)} MB).") from None
    try:
        row = StoredFile(
            organisation_id=uploader.organisation_id,
            key=stored.key,
            sha256=stored.sha256,
            size=stored.size,
            media_type=media_type,
            original_name=name,
            purpose=purpose,
            uploaded_by_id=uploader.id,
        )
        db.session.add(row)
        record("file.upload", row, actor=uploader,
               changes={"name": name, "sha256": stored.sha256, "size": stored.size, "media_type": media_type})
        if commit:
            database.commit()  # the parameter shadows edoc.core.db.commit here
        else:
            db.session.flush()
    except BaseException:
        db.session.rollback()  # deletes the bytes too (see _forget_objects_of_failed_transaction)
        raise
    return row


def store_bytes(data: bytes, filename: str, *, uploader: Person | None, purpose: str, media_type: str,
                organisation_id: int | None = None) -> StoredFile:
    """Store bytes the system produced itself (rendered or signed PDFs) in the caller's transaction. The file
    belongs to the uploader's organisation, or to ``organisation_id`` with no uploader (a document delivered to
    another organisation on the same installation: its copy is that organisation's)."""
    owner = organisation_id if organisation_id is not None else uploader.organisation_id if uploader else None
    if owner is None:
        raise ValueError("store_bytes needs an uploader or an organisation")
    stored = _put(io.BytesIO(data), media_type=media_type)
    row = StoredFile(
        organisation_id=owner, key=stored.key, sha256=stored.sha256, size=stored.size,
        media_type=media_type, original_name=validate_filename(filename), purpose=purpose,
        uploaded_by_id=uploader.id if uploader else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


_NEW_OBJECTS = "edoc_new_objects"


def _put(stream: BinaryIO, *, media_type: str, max_size: int | None = None) -> storage.StoredObject:
    """Put bytes and remember their key on the session: if the transaction rolls back, they are deleted.

    A store that cannot write is a 503 (``StoreUnavailable``) for uploads and the files the system makes alike;
    both stores leave nothing behind a failed put (the local one removes its temporary file, S3 aborts the
    multipart upload), and no row was written yet."""
    try:
        stored = get_store().put(stream, media_type=media_type, max_size=max_size)
    except (storage.ObjectTooLarge, storage.InvalidKey):
        raise  # the caller's limit (413), or a programming error: neither is an outage
    except storage.StorageError as exc:
        log.error("could not store a file: %s", exc)
        raise StoreUnavailable(STORE_WRITE_FAILED) from None
    db.session.info.setdefault(_NEW_OBJECTS, []).append(stored.key)
    return stored


_DELETED_OBJECTS = "edoc_deleted_objects"


def delete_after_commit(row: StoredFile) -> None:
    """Delete a file: its row in the caller's transaction, its bytes only once that commits, so a rolled-back
    transaction leaves the file as it was. The caller makes sure nothing refers to the row any more (and
    flushes first where a reference is changed in the same transaction). Bytes a failed delete leaves are an
    orphan ``edoc storage sweep`` removes."""
    db.session.info.setdefault(_DELETED_OBJECTS, []).append(row.key)
    db.session.delete(row)


@event.listens_for(Session, "after_commit")
def _keep_objects_of_committed_transaction(session: Session) -> None:
    session.info.pop(_NEW_OBJECTS, None)
    deleted = session.info.pop(_DELETED_OBJECTS, [])
    if deleted and has_app_context():
        for key in deleted:
            discard(key)


@event.listens_for(Session, "after_soft_rollback")
def _forget_objects_of_failed_transaction(session: Session, previous_transaction: object) -> None:
    session.info.pop(_DELETED_OBJECTS, None)  # their rows are back: the bytes stay
    keys = session.info.pop(_NEW_OBJECTS, [])
    if keys and has_app_context():
        for key in keys:
            discard(key)


def discard(key: str) -> None:
    """Delete stored bytes no committed row points at (best effort; the sweep catches the rest)."""
    try:
        get_store().delete(key)
    except storage.StorageError:
        log.warning("could not delete orphan object %s; `edoc storage sweep` will", key)


def get_file(file_id: int) -> StoredFile:
    row = db.session.get(StoredFile, file_id)
    if row is None:
        raise NotFound("Không tìm thấy tệp.")
    return row


def iter_verified(row: StoredFile) -> Iterator[bytes]:
    """Stream the bytes; ``storage.IntegrityMismatch`` is raised at the end if they are not what was stored."""
    return get_store().open(row.key, expected_sha256=row.sha256)


def open_verified(row: StoredFile) -> BinaryIO:
    """A file of the bytes, already checked whole against the row's SHA-256 (see ``ObjectStore.open_verified``);
    the caller closes it."""
    return get_store().open_verified(row.key, expected_sha256=row.sha256)


def read_verified(row: StoredFile) -> bytes:
    return get_store().read_bytes(row.key, expected_sha256=row.sha256)


def presigned_url(row: StoredFile, *, seconds: int = 60) -> str | None:
    return get_store().url(row.key, expires=timedelta(seconds=seconds), filename=row.original_name,
                           media_type=row.media_type)


SWEEP_GRACE = timedelta(hours=1)
"""How old an object without a row must be before the sweep removes it. Bytes are stored before their row
commits, so an upload in progress (or a transaction that is still signing or rendering) owns a fresh object no
row points at yet; an hour is far beyond any request, and absorbs some clock difference with an S3 server."""


def sweep_orphans(*, dry_run: bool = False, grace: timedelta = SWEEP_GRACE,
                  now: datetime | None = None) -> list[str]:
    """Delete stored objects that no row points at (left by a crash between put and commit), and the partial
    files of uploads a killed process never finished, that were last written more than ``grace`` before ``now``
    (the present unless given: a test pins it to keep seconds-long margins whatever the machine's load); younger
    ones may belong to a transaction still running."""
    if grace < timedelta(0):
        raise ValueError("the grace period cannot be negative")
    # The cut-off is taken before the rows are read: an object written after it is spared whatever the rows say,
    # and one written before it has had its transaction's whole grace period to commit its row.
    cutoff = (now or datetime.now(UTC)) - grace
    store = get_store()
    known = set(db.session.execute(select(StoredFile.key)).scalars())
    orphans = [listed.key for listed in store.objects("files/")
               if listed.modified < cutoff and listed.key not in known]
    # Half-written temporary files of a process killed during an upload: never a key, so no row can point at
    # them; the same grace spares a write still in progress (each chunk written refreshes its time).
    partial = [listed.key for listed in store.partial_uploads() if listed.modified < cutoff]
    if not dry_run:
        for key in orphans:
            discard(key)
        for name in partial:
            try:
                store.delete_partial(name)
            except OSError:
                log.warning("could not delete the partial upload %s; the next sweep will try again", name)
    return orphans + partial


def _sweep_job(context: jobs.JobContext) -> jobs.Outcome:
    """The orphan sweep as a periodic job (hourly), so no one has to schedule ``edoc storage sweep``."""
    orphans = sweep_orphans()
    return jobs.Outcome(f"Đã xóa {len(orphans)} đối tượng không còn bản ghi nào trỏ tới.")


jobs.periodic("files.sweep", _sweep_job, minute="17")
