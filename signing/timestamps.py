"""Timestamps from an RFC 3161 timestamp authority (TSA), for PAdES B-T and above.

A thin seam over pyHanko's HTTP client, so callers name a URL and get our error type when the TSA fails.
"""

from __future__ import annotations

from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError

from signing.errors import TimestampFailed

__all__ = ["TimeStamper", "TimestampRequestError", "http_timestamper", "timestamp_failure"]


def http_timestamper(url: str, *, timeout: float = 10, username: str | None = None,
                     password: str | None = None) -> TimeStamper:
    """A client for the TSA at ``url`` (HTTP POST of ``application/timestamp-query``)."""
    auth = (username, password or "") if username else None
    return HTTPTimeStamper(url, timeout=timeout, auth=auth)


def timestamp_failure(exc: BaseException) -> TimestampFailed:
    """Our error for a TSA that did not answer or answered badly (for ``raise ... from``)."""
    return TimestampFailed(f"không lấy được dấu thời gian từ máy chủ cấp dấu thời gian (TSA): {exc}")
