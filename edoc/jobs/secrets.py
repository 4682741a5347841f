"""A job's secret (a signer's PIN), sealed with a key derived from the server's secret key.

The PIN must reach the worker that signs, possibly another process on another machine, through the database.
Sealed with AES-256-GCM under HMAC-SHA256(SECRET_KEY, label), so a copy of the database alone does not reveal
it; bound to its job id (associated data), so a sealed PIN copied onto another job does not open; erased
when the job ends (``edoc.jobs.runner``).
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_LABEL = b"edoc-job-secret-v1"


def _key(server_secret: str) -> bytes:
    return hmac.new(server_secret.encode(), _LABEL, hashlib.sha256).digest()


def seal(server_secret: str, job_id: int, value: str) -> bytes:
    return seal_value(server_secret, str(job_id), value)


def unseal(server_secret: str, job_id: int, sealed: bytes) -> str | None:
    """The value, or None when it does not open (the server's secret changed, or it belongs to another job)."""
    return unseal_value(server_secret, str(job_id), sealed)


def seal_value(server_secret: str, bound_to: str, value: str) -> bytes:
    """A stored secret other than a job's (an organisation's mailbox password), bound to ``bound_to`` (associated
    data, e.g. ``incoming-mailbox:7``): sealed for one owner, it does not open for another."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_key(server_secret)).encrypt(nonce, value.encode(), bound_to.encode())


def unseal_value(server_secret: str, bound_to: str, sealed: bytes) -> str | None:
    try:
        return AESGCM(_key(server_secret)).decrypt(sealed[:12], sealed[12:], bound_to.encode()).decode()
    except (InvalidTag, ValueError):
        return None
