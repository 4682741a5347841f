"""S3 store on the MinIO SDK (MinIO in production, SeaweedFS in the tests, any S3 in principle).

Uploads stream as multipart with a fixed part size (length -1 when the source cannot tell it), so memory stays
bounded whatever the object's size; the SHA-256 and size are computed by the reader the SDK pulls from, not in a
second pass.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import BinaryIO, cast
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.commonconfig import ENABLED
from minio.error import MinioException, S3Error, ServerError
from minio.helpers import check_bucket_name
from minio.versioningconfig import VersioningConfig

from storage.base import (
    CHUNK,
    ListedObject,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StorageUnavailable,
    StoredObject,
    check_key,
    checked_chunks,
    content_disposition,
    new_key,
    remaining_length,
    too_large,
)

log = logging.getLogger(__name__)

# Memory of one upload is about PARALLEL_PARTS + 1 parts (those in flight and the one being read), plus two more
# when the length is unknown (the SDK copies each part while splitting off its look-ahead byte): 32-50 MB at
# 8 MiB x 3. Bigger parts measured no faster against SeaweedFS (the server, not the client, is the limit).
PART_SIZE = 8 << 20
PARALLEL_PARTS = 3
_TRANSPORT_ERRORS = (MinioException, urllib3.exceptions.HTTPError, OSError)
_MISSING_OBJECT = {"NoSuchKey", "NoSuchObject", "NoSuchVersion", "NotFound", "ResourceNotFound"}
# Which setting the operator has to fix, by S3 error code.
_SETTING_AT_FAULT = {
    "SignatureDoesNotMatch": ("EDOC_S3_SECRET_KEY", "rejected by S3"),
    "InvalidAccessKeyId": ("EDOC_S3_ACCESS_KEY", "unknown to S3"),
    "AccessDenied": ("EDOC_S3_ACCESS_KEY", "not allowed by S3"),
    "NoSuchBucket": ("EDOC_S3_BUCKET", "does not exist"),
    "BucketAlreadyExists": ("EDOC_S3_BUCKET", "is owned by another account"),
    "InvalidBucketName": ("EDOC_S3_BUCKET", "is not a valid bucket name"),
    "AuthorizationHeaderMalformed": ("EDOC_S3_REGION", "does not match the server's region"),
    "InvalidRegion": ("EDOC_S3_REGION", "does not match the server's region"),
}


class _UploadReader:
    """What the SDK reads from: counts, hashes and enforces ``max_size`` as the bytes go by.

    The SDK uploads parts in worker threads that it only stops when ``put_object`` returns normally: an exception
    raised from ``read()`` once those workers exist leaves them blocked for ever (minio 7.2). The SDK reads the
    whole first part before it starts them, so an error until then is raised at once. A later one is remembered,
    the SDK is told the stream ended (or, when it was given the length and insists on full parts, fed zeros up to
    it), it completes the upload, and ``S3Store.put`` removes that version and raises the remembered error.
    """

    def __init__(self, stream: BinaryIO, *, max_size: int | None, length: int | None) -> None:
        self._stream = stream
        self._max = max_size
        self._length = length
        # With length -1 the SDK reads one byte past each part to learn whether another part follows.
        self._first_part = PART_SIZE if length is not None else PART_SIZE + 1
        self._hash = hashlib.sha256()
        self._served = 0  # bytes handed to the SDK, padding included
        self.size = 0  # bytes taken from the source
        self.raised: BaseException | None = None
        self.deferred: Exception | None = None

    def read(self, n: int = -1) -> bytes:
        if self.deferred is not None:
            return self._padding(n)
        before = self.size
        try:
            data = self._read_full(n)
            self.size += len(data)
            if self._max is not None and self.size > self._max:
                raise too_large(self._max)
            if self._length is not None and 0 <= len(data) < n:
                raise OSError(f"the stream ended after {self.size} of the {self._length} bytes it announced")
        except Exception as exc:
            if before < self._first_part:
                self.raised = exc
                raise
            self.deferred = exc
            return self._padding(n)
        self._hash.update(data)
        self._served += len(data)
        return data

    def _padding(self, n: int) -> bytes:
        if self._length is None:
            return b""
        count = max(0, min(n, self._length - self._served))
        self._served += count
        return bytes(count)

    def _read_full(self, n: int) -> bytes:
        # The SDK grows a part by `bytes += chunk`: a source that returns short reads (a socket, a WSGI input)
        # would cost a quadratic amount of copying. Fill the whole request here instead, with one copy at most.
        data = self._stream.read(n)
        if n < 0 or not data or len(data) >= n:
            return data if isinstance(data, bytes) else bytes(data)
        buffer = bytearray(n)
        got = len(data)
        buffer[:got] = data
        readinto = getattr(self._stream, "readinto", None)
        with memoryview(buffer) as view:
            while got < n:
                if readinto is not None:
                    count = readinto(view[got:]) or 0
                else:
                    more = self._stream.read(n - got)
                    count = len(more)
                    view[got:got + count] = more
                if not count:
                    break
                got += count
            return bytes(view[:got])

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


class S3Store(ObjectStore):
    def __init__(self, *, endpoint: str, access_key: str, secret_key: str, bucket: str, secure: bool = True,
                 region: str | None = None, public_url: str | None = None) -> None:
        """``public_url`` (``https://host[:port]``) is the address browsers reach the same S3 server at; ``url()``
        signs for it. Without it, ``url()`` signs for ``endpoint``, which only this server may be able to reach."""
        if not endpoint:
            raise StorageUnavailable("EDOC_S3_ENDPOINT is empty: give host:port of the S3 server")
        self.endpoint, self.bucket, self.secure, self.region = endpoint, bucket, secure, region
        self.public_url = public_url
        self._credentials = (access_key, secret_key)
        self._public_client: Minio | None = None
        if public_url:
            _public_endpoint(public_url)  # refuse a bad address now, not at the first download
        # One pool for the store's life: connections are reused across requests and threads. No CA bundle is
        # forced: the system store (where a ministry's private CA is installed) or SSL_CERT_FILE applies.
        # Few, quick retries: an unreachable endpoint must fail start-up in seconds, not minutes.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=120), maxsize=32,
            ca_certs=os.environ.get("SSL_CERT_FILE") or None,
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]))
        try:
            self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure,
                                region=region, http_client=http)
        except ValueError as exc:
            raise StorageUnavailable(f"EDOC_S3_ENDPOINT {endpoint!r} is not host:port (no scheme, no path; "
                                     f"EDOC_S3_SECURE chooses https): {exc}") from None
        self._ready = False
        self._ready_lock = threading.Lock()

    def __repr__(self) -> str:
        scheme = "https" if self.secure else "http"
        return f"S3Store({scheme}://{self.endpoint}/{self.bucket})"

    # --- errors ---------------------------------------------------------------------------------------------
    def _error(self, exc: BaseException) -> StorageError:
        """Translate an SDK or transport error into ours, naming the setting an operator would have to fix."""
        if isinstance(exc, S3Error):
            if exc.code in _MISSING_OBJECT and exc.object_name:
                return ObjectNotFound(exc.object_name)
            if exc.code in _SETTING_AT_FAULT:
                setting, problem = _SETTING_AT_FAULT[exc.code]
                value = {"EDOC_S3_BUCKET": self.bucket, "EDOC_S3_REGION": self.region}.get(setting)
                subject = f"{setting} {value!r}" if value else setting
                return StorageUnavailable(f"{subject} {problem} at {self.endpoint} ({exc.code})")
            return StorageError(f"S3 at {self.endpoint}: {exc.code}: {exc.message}")
        if isinstance(exc, ServerError):
            return StorageUnavailable(f"EDOC_S3_ENDPOINT {self.endpoint} answered HTTP {exc.status_code}")
        reason: object = exc
        while isinstance(reason, urllib3.exceptions.MaxRetryError) and reason.reason is not None:
            reason = reason.reason
        if isinstance(reason, urllib3.exceptions.SSLError):
            return StorageUnavailable(f"EDOC_S3_ENDPOINT {self.endpoint}: TLS failed (check EDOC_S3_SECURE and the "
                                      f"server certificate): {_short(reason)}")
        return StorageUnavailable(f"EDOC_S3_ENDPOINT {self.endpoint} unreachable: {_short(reason)}")

    # --- start-up ---------------------------------------------------------------------------------------------
    def check(self) -> None:
        """Create the bucket if missing, turn versioning on, and prove the credentials may write."""
        try:
            check_bucket_name(self.bucket, strict=True)
        except ValueError as exc:
            raise StorageUnavailable(f"EDOC_S3_BUCKET {self.bucket!r} is not a valid bucket name: {exc}") from None
        try:
            if not self.client.bucket_exists(self.bucket):
                try:
                    self.client.make_bucket(self.bucket, location=self.region)
                except S3Error as exc:
                    if exc.code != "BucketAlreadyOwnedByYou":  # another worker created it meanwhile
                        raise
            # Versioning keeps a deleted or overwritten document recoverable by the operator.
            if self.client.get_bucket_versioning(self.bucket).status != ENABLED:
                self.client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
            # Read rights alone would pass the calls above; writing one empty object proves uploads will work.
            # Deleting that exact version leaves no trace, not even a delete marker.
            probe = self.client.put_object(self.bucket, new_key("edoc-check"), io.BytesIO(b""), 0)
            self.client.remove_object(self.bucket, probe.object_name, version_id=probe.version_id)
        except _TRANSPORT_ERRORS as exc:
            raise self._error(exc) from None
        self._ready = True

    def _ensure(self) -> None:
        if not self._ready:
            with self._ready_lock:
                if not self._ready:
                    self.check()

    # --- objects ----------------------------------------------------------------------------------------------
    def put(self, stream: BinaryIO, *, media_type: str = "application/octet-stream",
            max_size: int | None = None, prefix: str = "files") -> StoredObject:
        key = new_key(prefix)
        # A spooled upload (the usual web form) tells its length: too large is refused before a byte is sent, and
        # the SDK, told the length, reads exact parts and makes no copies. Otherwise it streams with length -1.
        known = remaining_length(stream)
        if max_size is not None and known is not None and known > max_size:
            raise too_large(max_size)
        self._ensure()
        reader = _UploadReader(stream, max_size=max_size, length=known)
        try:
            result = self.client.put_object(self.bucket, key, cast(BinaryIO, reader),
                                            length=known if known is not None else -1, part_size=PART_SIZE,
                                            content_type=media_type, num_parallel_uploads=PARALLEL_PARTS)
        except BaseException as exc:
            # The SDK has aborted its multipart upload: nothing was stored. Deleting anyway would only add a
            # delete marker to the versioned bucket.
            if exc is reader.raised:
                raise
            if reader.deferred is not None:
                raise reader.deferred from exc
            if isinstance(exc, _TRANSPORT_ERRORS):
                raise self._error(exc) from None
            raise
        if reader.deferred is not None:
            self._remove_version(key, result.version_id)
            raise reader.deferred
        return StoredObject(key, reader.hexdigest(), reader.size)

    def _remove_version(self, key: str, version_id: str | None) -> None:
        try:
            self.client.remove_object(self.bucket, key, version_id=version_id)
        except _TRANSPORT_ERRORS as exc:
            log.warning("could not remove the truncated upload %s (%s); the orphan sweep will", key, exc)

    def open(self, key: str, *, expected_sha256: str | None = None, chunk_size: int = CHUNK) -> Iterator[bytes]:
        check_key(key)
        self._ensure()
        try:
            response = self.client.get_object(self.bucket, key)
        except _TRANSPORT_ERRORS as exc:
            raise self._error(exc) from None

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.stream(chunk_size)
            except _TRANSPORT_ERRORS as exc:
                raise self._error(exc) from None
            finally:
                response.close()
                response.release_conn()

        return checked_chunks(chunks(), expected_sha256, key)

    def url(self, key: str, *, expires: timedelta, filename: str | None = None,
            media_type: str | None = None) -> str | None:
        check_key(key)
        self._ensure()
        headers: dict[str, str | list[str] | tuple[str]] = {}
        if filename:
            headers["response-content-disposition"] = content_disposition(filename)
        if media_type:
            headers["response-content-type"] = media_type
        try:
            return self._signer().presigned_get_object(self.bucket, key, expires=expires,
                                                       response_headers=headers or None)
        except _TRANSPORT_ERRORS as exc:  # the first call per bucket may ask the server for its region
            raise self._error(exc) from None

    def _signer(self) -> Minio:
        """The client whose address goes into presigned URLs.

        A presigned URL is signed for one host, so a browser-reachable one needs a client on the public address.
        That client must never contact the server (the public address may not be reachable from here): it is given
        the region, asked once through the private endpoint, so signing stays a local computation.
        """
        if not self.public_url:
            return self.client
        if self._public_client is None:
            # _get_region is private, but it is the SDK's own cached lookup that presigning would do anyway.
            region = self.region or self.client._get_region(self.bucket)
            host, secure = _public_endpoint(self.public_url)
            self._public_client = Minio(host, access_key=self._credentials[0], secret_key=self._credentials[1],
                                        secure=secure, region=region)
        return self._public_client

    def exists(self, key: str) -> bool:
        check_key(key)
        self._ensure()
        try:
            self.client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING_OBJECT:
                return False
            raise self._error(exc) from None
        except _TRANSPORT_ERRORS as exc:
            raise self._error(exc) from None
        return True

    def delete(self, key: str) -> None:
        """Hide the object (S3 deletes are idempotent). In the versioned bucket the bytes stay as an older
        version, recoverable by the operator until a lifecycle rule expires them."""
        check_key(key)
        self._ensure()
        try:
            self.client.remove_object(self.bucket, key)
        except _TRANSPORT_ERRORS as exc:
            raise self._error(exc) from None

    def objects(self, prefix: str = "") -> Iterator[ListedObject]:
        """Current versions only: a deleted object's older versions are the bucket's business (lifecycle rules)."""
        self._ensure()
        try:
            for obj in self.client.list_objects(self.bucket, prefix=prefix or None, recursive=True):
                if not obj.object_name or obj.is_dir:
                    continue
                modified = obj.last_modified
                if modified is None:
                    # Every S3 listing carries LastModified; a server that left it out gets "now", which makes
                    # the object look fresh: an orphan then waits for a later sweep instead of being removed early.
                    modified = datetime.now(UTC)
                elif modified.tzinfo is None:
                    modified = modified.replace(tzinfo=UTC)  # S3 times are UTC
                yield ListedObject(obj.object_name, obj.size or 0, modified)
        except _TRANSPORT_ERRORS as exc:
            raise self._error(exc) from None


def _public_endpoint(url: str) -> tuple[str, bool]:
    """``https://files.example.vn[:port]`` → (host[:port], secure). The SDK signs for a bare host: no path."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"} or parts.query:
        raise StorageUnavailable(f"EDOC_S3_PUBLIC_URL {url!r} is not http(s)://host[:port] (no path): the address "
                                 f"browsers reach the S3 server at")
    return parts.netloc, parts.scheme == "https"


def _short(reason: object) -> str:
    """The useful end of urllib3's nested messages, e.g. '[Errno 111] Connection refused'."""
    text = str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__
    for marker in ("Failed to establish a new connection: ", "Caused by "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text[:200]
