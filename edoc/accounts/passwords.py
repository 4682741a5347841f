"""Password hashing with argon2id, RFC 9106's low-memory profile (64 MiB, 3 passes, 4 lanes)."""

from __future__ import annotations

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PROFILE: Parameters = profiles.RFC_9106_LOW_MEMORY
MIN_LENGTH = 8

_hasher = PasswordHasher.from_parameters(PROFILE)


def use_profile(parameters: Parameters) -> None:
    """Hash with other argon2 parameters from now on. Only the test suite does this (with argon2's cheapest
    profile: each hash costs 0.2 s at the real one, and the suite signs in hundreds of times); existing hashes
    keep verifying, since a hash carries its own parameters."""
    global _hasher, DUMMY_HASH
    _hasher = PasswordHasher.from_parameters(parameters)
    DUMMY_HASH = _hasher.hash(_DUMMY_PASSWORD)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


# A hash of a random password, verified against when the user does not exist, so that an unknown
# username costs the same time as a wrong password and cannot be told apart by timing.
_DUMMY_PASSWORD = "edoc-no-such-user-timing-equaliser"
DUMMY_HASH = _hasher.hash(_DUMMY_PASSWORD)
