"""Object storage: one interface, a local-folder store (the embedded default) and an S3 store on the MinIO SDK.

Knows nothing of Flask or the database. Keys are made by the store, never from user input; every put returns
the SHA-256 and size it streamed, and every read can be checked against them.
"""

from storage.base import (
    IntegrityMismatch,
    InvalidKey,
    ListedObject,
    ObjectNotFound,
    ObjectStore,
    ObjectTooLarge,
    StorageError,
    StorageUnavailable,
    StoredObject,
)
from storage.factory import from_settings
from storage.local import LocalStore
from storage.s3 import S3Store

__all__ = [
    "IntegrityMismatch", "InvalidKey", "ListedObject", "LocalStore", "ObjectNotFound", "ObjectStore", "ObjectTooLarge",
    "S3Store", "StorageError", "StorageUnavailable", "StoredObject", "from_settings",
]
