"""S3 store on the MinIO SDK (MinIO in production, any S3 in principle).

Uploads stream as multipart with a fixed part size, so memory stays bounded whatever the object's size;
the SHA-256 is computed by the reader the SDK pulls from, not in a second pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import BinaryIO
from urllib.parse import quote

import urllib3
from minio import Minio
from minio.commonconfig import ENABLED
from minio.error import MinioException, S3Error
from minio.versioningconfig import VersioningConfig

from storage.base import (
    CHUNK,
    HashingReader,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StorageUnavailable,
    StoredObject,
    new_key,
    verified,
)

PART_SIZE = 8 * 1024 * 1024
_CREDENTIAL_ERRORS = {"SignatureDoesNotMatch": "EDOC_S3_SECRET_KEY", "InvalidAccessKeyId": "EDOC_S3_ACCESS_KEY",
                      "AccessDenied": "EDOC_S3_ACCESS_KEY"}


class S3Store(ObjectStore):
    def __init__(self, *, endpoint: str, access_key: str, secret_key: str, bucket: str, secure: bool = True,
                 region: str | None = None) -> None:
        self.endpoint, self.bucket, self.secure = endpoint, bucket, secure
        # Few quick retries: an unreachable endpoint must fail start-up in seconds, not minutes.
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=3, read=120), maxsize=16,
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]))
        try:
            self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure,
                                region=region, http_client=http)
        except ValueError as exc:
            raise StorageUnavailable(f"EDOC_S3_ENDPOINT {endpoint!r} is not a host:port: {exc}") from None
        self._ready = False

    # --- errors ----------------------------------------------------------------------------------------
    def _unavailable(self, exc: Exception) -> StorageError:
        if isinstance(exc, S3Error):
            if exc.code in _CREDENTIAL_ERRORS:
                return StorageUnavailable(f"{_CREDENTIAL_ERRORS[exc.code]} rejected by S3 at {self.endpoint} "
                                          f"({exc.code})")
            if exc.code in {"NoSuchKey", "NoSuchObject"}:
                return ObjectNotFound(exc.message)
            if exc.code == "NoSuchBucket":
                return StorageUnavailable(f"EDOC_S3_BUCKET {self.bucket!r} does not exist at {self.endpoint}")
            return StorageError(f"S3 error {exc.code}: {exc.message}")
        reason = str(exc).splitlines()[0][:200]
        return StorageUnavailable(f"EDOC_S3_ENDPOINT {self.endpoint} unreachable: {reason}")

    def check(self) -> None:
        try:
            from minio.helpers import check_bucket_name

            check_bucket_name(self.bucket)
        except ValueError as exc:
            raise StorageUnavailable(f"EDOC_S3_BUCKET {self.bucket!r} is not a valid bucket name: {exc}") from None
        try:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
            self.client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
        except (MinioException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise self._unavailable(exc) from None
        self._ready = True

    def _ensure(self) -> None:
        if not self._ready:
            self.check()

    # --- objects ---------------------------------------------------------------------------------------
    def put(self, stream: BinaryIO, *, media_type: str = "application/octet-stream",
            max_size: int | None = None, prefix: str = "files") -> StoredObject:
        self._ensure()
        key = new_key(prefix)
        reader = HashingReader(stream, max_size)
        try:
            self.client.put_object(self.bucket, key, reader, length=-1, part_size=PART_SIZE,
                                   content_type=media_type)
        except BaseException as exc:
            # A multipart upload aborted by the SDK leaves no object; a completed one past the limit cannot
            # exist (the reader stops first). Delete anyway, so nothing half-written stays.
            self._delete_quietly(key)
            if isinstance(exc, (MinioException, urllib3.exceptions.HTTPError, OSError)):
                raise self._unavailable(exc) from None
            raise
        return StoredObject(key, reader.hexdigest(), reader.size)

    def open(self, key: str, *, expected_sha256: str | None = None, chunk_size: int = CHUNK) -> Iterator[bytes]:
        self._ensure()
        try:
            response = self.client.get_object(self.bucket, key)
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._unavailable(exc) from None

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.stream(chunk_size)
            finally:
                response.close()
                response.release_conn()

        return verified(chunks(), expected_sha256, key)

    def url(self, key: str, *, expires: timedelta, filename: str | None = None,
            media_type: str | None = None) -> str | None:
        self._ensure()
        headers: dict[str, str | list[str] | tuple[str]] = {}
        if filename:
            headers["response-content-disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
        if media_type:
            headers["response-content-type"] = media_type
        return self.client.presigned_get_object(self.bucket, key, expires=expires,
                                                response_headers=headers or None)

    def exists(self, key: str) -> bool:
        self._ensure()
        try:
            self.client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject", "NotFound"}:
                return False
            raise self._unavailable(exc) from None
        return True

    def delete(self, key: str) -> None:
        self._ensure()
        try:
            self.client.remove_object(self.bucket, key)
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._unavailable(exc) from None

    def _delete_quietly(self, key: str) -> None:
        try:
            self.client.remove_object(self.bucket, key)
        except (MinioException, urllib3.exceptions.HTTPError, OSError):
            pass

    def keys(self, prefix: str = "") -> Iterator[str]:
        self._ensure()
        for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
            if obj.object_name:
                yield obj.object_name
