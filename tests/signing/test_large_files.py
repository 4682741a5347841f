"""A large PDF checked on its way in is read in place, not into memory; and signing's synchronous functions work
from a thread whose event loop is running (``signing.aio``)."""

from __future__ import annotations

import asyncio
import io

import pytest

from signing import aio
from signing.errors import CorruptPdf
from signing.sign import open_pdf, sign_pdf
from tests.support.bigpdf import pdf_with_image


class Counting(io.FileIO):
    """A file that counts the bytes read from it."""

    read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self.read_bytes += len(data)
        return data

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = super().readinto(buffer) or 0
        self.read_bytes += n
        return n


def test_a_large_pdf_given_as_a_file_is_checked_without_reading_it_whole(tmp_path):
    path = tmp_path / "lon.pdf"
    pdf_with_image(path, 30 * 1024 * 1024)
    with Counting(path) as stream:
        reader = open_pdf(stream)
        assert int(reader.root["/Pages"]["/Count"]) == 1 and list(reader.embedded_signatures) == []
        # the header, the cross-reference table and the few objects it looked at: not the 30 MB image
        assert stream.read_bytes < 1024 * 1024, stream.read_bytes
    # the same file cut short is still refused, from a file as from bytes
    (tmp_path / "cut.pdf").write_bytes(path.read_bytes()[:5 * 1024 * 1024])
    with (tmp_path / "cut.pdf").open("rb") as cut, pytest.raises(CorruptPdf):
        open_pdf(cut)


def test_sign_pdf_from_inside_a_running_event_loop(leader, unsigned_pdf):
    # asyncio.run() refuses a thread whose loop runs: this is what every greenlet under gevent looked like to
    # the second signature in progress. aio.run takes the loop to a thread of its own.
    async def inside() -> bytes:
        return sign_pdf(unsigned_pdf, leader)

    signed = asyncio.run(inside())
    assert open_pdf(signed).embedded_signatures[0].field_name == "sig_signer"


def test_an_offload_runs_every_loop(leader, unsigned_pdf):
    calls = []

    def offload(call):  # type: ignore[no-untyped-def]
        calls.append(call)
        return call()

    aio.set_offload(offload)
    try:
        sign_pdf(unsigned_pdf, leader)
    finally:
        aio.set_offload(None)
    assert len(calls) == 1
