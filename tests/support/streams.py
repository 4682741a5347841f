"""Streams for large-upload tests that hold no large buffer of their own."""

from __future__ import annotations

import io


class Generated(io.RawIOBase):
    """``size`` bytes made on the fly from a repeating block (optionally starting with ``prefix``)."""

    def __init__(self, size: int, prefix: bytes = b"") -> None:
        self.remaining = size
        self.block = prefix + bytes(range(256)) * 4096

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.remaining, len(self.block))
        buffer[:n] = self.block[:n]
        self.remaining -= n
        return n
