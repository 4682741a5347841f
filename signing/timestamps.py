"""Timestamps from an RFC 3161 timestamp authority (TSA), for PAdES B-T and above.

A thin seam over pyHanko's HTTP client, so callers name a URL and get our error type when the TSA fails.

pyHanko asks a TSA for a sample token before the real one: to size the signature and, for B-LT, to learn the
TSA's certificates and collect their revocation data. It keeps the sample on the timestamper object, and
callers (the app) make a new one per signature, which would double the requests to the TSA in a batch. The
sample is therefore kept per TSA address for the process, for ``SAMPLE_LIFETIME``, so that a TSA that
changes its certificate is noticed within the hour.
"""

from __future__ import annotations

import threading
import time

from asn1crypto import cms
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError

from signing.errors import TimestampFailed

__all__ = ["SAMPLE_LIFETIME", "TimeStamper", "TimestampRequestError", "http_timestamper", "timestamp_failure"]

SAMPLE_LIFETIME = 3600.0
"""Seconds a sample token of a TSA is reused for."""
_samples: dict[tuple[str, str | None, str], tuple[float, cms.ContentInfo]] = {}
_samples_lock = threading.Lock()


class _SharedSampleTimeStamper(HTTPTimeStamper):
    """An ``HTTPTimeStamper`` whose sample token comes from (and goes to) the process-wide cache."""

    def __init__(self, url: str, *, timeout: float, username: str | None, password: str | None) -> None:
        super().__init__(url, timeout=timeout, auth=(username, password or "") if username else None)
        self._user = username

    async def async_dummy_response(self, md_algorithm: str) -> cms.ContentInfo:
        key = (self.url, self._user, md_algorithm)
        if md_algorithm not in self._dummy_response_cache:
            with _samples_lock:
                cached = _samples.get(key)
            if cached is not None and time.monotonic() - cached[0] < SAMPLE_LIFETIME:
                # registering also teaches this object the TSA's certificates, as fetching it would have
                self._register_dummy(md_algorithm, cached[1])
        sample = await super().async_dummy_response(md_algorithm)
        with _samples_lock:
            if key not in _samples or _samples[key][1] is not sample:
                _samples[key] = (time.monotonic(), sample)
        return sample


def http_timestamper(url: str, *, timeout: float = 10, username: str | None = None,
                     password: str | None = None) -> TimeStamper:
    """A client for the TSA at ``url`` (HTTP POST of ``application/timestamp-query``)."""
    return _SharedSampleTimeStamper(url, timeout=timeout, username=username, password=password)


def forget_samples() -> None:
    """Drop every cached sample token (tests that count requests to a TSA start from here)."""
    with _samples_lock:
        _samples.clear()


def timestamp_failure(exc: BaseException) -> TimestampFailed:
    """Our error for a TSA that did not answer or answered badly (for ``raise ... from``)."""
    return TimestampFailed(f"không lấy được dấu thời gian từ máy chủ cấp dấu thời gian (TSA): {exc}")
