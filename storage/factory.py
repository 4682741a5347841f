"""Build the configured store from plain settings (the app reads its environment; this package never does)."""

from __future__ import annotations

from pathlib import Path

from storage.base import ObjectStore, StorageUnavailable
from storage.local import LocalStore
from storage.s3 import S3Store

BACKENDS = ("local", "s3")


def from_settings(*, backend: str, local_root: Path | str | None = None, s3_endpoint: str | None = None,
                  s3_access_key: str | None = None, s3_secret_key: str | None = None, s3_bucket: str | None = "edoc",
                  s3_secure: bool = True, s3_region: str | None = None,
                  s3_public_url: str | None = None) -> ObjectStore:
    """The store for ``EDOC_STORAGE`` (``local`` or ``s3``). Nothing is contacted yet: call ``check()`` at start-up.

    Raises ``StorageUnavailable`` naming the first setting that is missing or wrong.
    """
    kind = (backend or "").strip().lower()
    if kind == "local":
        if local_root is None or not str(local_root).strip():
            raise StorageUnavailable("EDOC_STORAGE_DIR is required when EDOC_STORAGE=local")
        return LocalStore(Path(local_root))
    if kind == "s3":
        required = {"EDOC_S3_ENDPOINT": s3_endpoint, "EDOC_S3_ACCESS_KEY": s3_access_key,
                     "EDOC_S3_SECRET_KEY": s3_secret_key, "EDOC_S3_BUCKET": s3_bucket}
        for name, value in required.items():
            if not value or not value.strip():
                raise StorageUnavailable(f"{name} is required when EDOC_STORAGE=s3")
        return S3Store(endpoint=str(s3_endpoint).strip(), access_key=str(s3_access_key), secret_key=str(s3_secret_key),
                       bucket=str(s3_bucket).strip(), secure=s3_secure, region=s3_region or None,
                       public_url=(s3_public_url or "").strip() or None)
    raise StorageUnavailable(f"EDOC_STORAGE={backend!r} is not a storage backend: use one of {', '.join(BACKENDS)}")
