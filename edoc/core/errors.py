"""Domain errors: what a service refuses, with the status and the Vietnamese message the user sees."""

from __future__ import annotations


class DomainError(Exception):
    """A refused request. Views turn it into a 4xx page or JSON error; nothing was written."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    status = 400
    code = "invalid"


class NotAllowed(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class UnsupportedMedia(DomainError):
    status = 415
    code = "unsupported_media_type"


class Throttled(DomainError):
    status = 429
    code = "too_many_requests"


class ConfigError(Exception):
    """A bad or unreachable setting at start-up; the message names the setting."""
